import { execFileSync, spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isProcessAlive, readHistory, readSyncState, syncRun } from "../src/index.ts";
import { startFakeWandbServer } from "../src/testing/index.ts";
import {
  API_KEY,
  everythingWritten,
  expectExactlyOnce,
  loggerFor,
  logRows,
  tempRoot,
} from "./wandb-helpers.ts";

/** Streams 5 rows that W&B confirms, breaks the server, logs 5 more, and ends the run. */
async function breakMidRun(
  mode: "filestream-500" | "stall",
  ctx: { onTestFinished: (fn: () => Promise<void>) => void },
) {
  const fake = await startFakeWandbServer({ apiKey: API_KEY, stallMs: 10_000 });
  ctx.onTestFinished(() => fake.close());
  const logger = loggerFor(fake, tempRoot(), {
    timeouts: { initMs: 30_000, finishMs: 2_000, requestMs: 800 },
  });
  logger.initialize();
  logRows(logger, 0, 5);
  await fake.waitFor(() => [...fake.runs.values()].some((run) => run.history.size === 5), 30_000);
  await fake.setMode(mode);
  logRows(logger, 5, 10);
  logger.summary({ best_acc: 0.09 });
  const started = Date.now();
  const report = await logger.finish(0);
  return { fake, logger, report, finishMs: Date.now() - started };
}

describe.concurrent("W&B failing mid-run", () => {
  it("file_stream 500 (the SDK drops the data silently): the rows stay pending and a later sync sends only them", async (ctx) => {
    const { fake, logger, report, finishMs } = await breakMidRun("filestream-500", ctx);
    expect(finishMs).toBeLessThan(15_000);
    expect(report).toMatchObject({ totalRows: 10, confirmedRows: 5 });
    expect(readSyncState(logger.runDir)?.history).toEqual([[0, 5]]);
    expect(readHistory(logger.runDir)).toHaveLength(10);

    await fake.setMode("healthy");
    const synced = await syncRun(logger.runDir, { apiKey: API_KEY, baseUrl: fake.url });
    expect(synced._unsafeUnwrap()).toMatchObject({ uploadedRows: 5, confirmedRows: 10 });
    const runName = readSyncState(logger.runDir)?.runId ?? "";
    expectExactlyOnce(fake, logger.runDir, runName);
    expect(fake.run(runName).summary).toMatchObject({ best_acc: 0.09 });
    expect(
      (await syncRun(logger.runDir, { apiKey: API_KEY, baseUrl: fake.url }))._unsafeUnwrap()
        .upToDate,
    ).toBe(true);
    expect(everythingWritten(logger.runDir)).not.toContain(API_KEY);
  });

  it("a stalled server: finish() kills the SDK on time, and a later sync delivers the rest exactly once", async (ctx) => {
    const { fake, logger, report, finishMs } = await breakMidRun("stall", ctx);
    expect(finishMs).toBeLessThan(15_000);
    expect(report.warnings.join("\n")).toMatch(/finish timed out/);
    expect(report.confirmedRows).toBe(5);

    await fake.setMode("healthy");
    const synced = await syncRun(logger.runDir, {
      apiKey: API_KEY,
      baseUrl: fake.url,
      exitCode: 0,
    });
    expect(synced._unsafeUnwrap()).toMatchObject({
      uploadedRows: 5,
      confirmedRows: 10,
      completed: true,
    });
    expectExactlyOnce(fake, logger.runDir, readSyncState(logger.runDir)?.runId ?? "");
    const text = everythingWritten(logger.runDir) + report.warnings.join("\n");
    expect(text).not.toContain(API_KEY);
  });
});

describe("isolation from the training process", () => {
  it("a script that never calls finish() still exits promptly, with its rows on disk", async (ctx) => {
    const fake = await startFakeWandbServer({ apiKey: API_KEY, mode: "stall", stallMs: 10_000 });
    ctx.onTestFinished(() => fake.close());
    const root = tempRoot();
    const script = `
      const { WandBLogger } = await import(${JSON.stringify(new URL("../src/index.ts", import.meta.url).href)});
      const logger = new WandBLogger({ mode: "online", project: "p", baseUrl: ${JSON.stringify(fake.url)}, apiKey: ${JSON.stringify(API_KEY)}, root: ${JSON.stringify(root)} });
      logger.initialize();
      for (let step = 0; step < 4; step++) logger.log({ loss: step }, { step });
      console.log(logger.runDir);
    `;
    const started = Date.now();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(readHistory(out.trim())).toHaveLength(4);
  });

  it("when the training process is SIGKILLed, the SDK child does not outlive it", async (ctx) => {
    const fake = await startFakeWandbServer({ apiKey: API_KEY, mode: "stall", stallMs: 20_000 });
    ctx.onTestFinished(() => fake.close());
    const script = `
      const { WandBLogger } = await import(${JSON.stringify(new URL("../src/index.ts", import.meta.url).href)});
      const logger = new WandBLogger({ mode: "online", project: "p", baseUrl: ${JSON.stringify(fake.url)}, apiKey: ${JSON.stringify(API_KEY)}, root: ${JSON.stringify(tempRoot())}, timeouts: { initMs: 60000 } });
      logger.initialize();
      console.log("started");
      setInterval(() => logger.log({ loss: 1 }), 50);
    `;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    // The SDK child is up once its Viewer request reaches the (stalling) server.
    await fake.waitFor(() => fake.requests.length > 0, 30_000);
    const sdkPids = execFileSync("pgrep", ["-P", String(child.pid)], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map(Number);
    expect(sdkPids.length).toBeGreaterThan(0);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const deadline = Date.now() + 10_000;
    const alive = () => sdkPids.filter((pid) => isProcessAlive(pid));
    while (alive().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toEqual([]);
  });
});
