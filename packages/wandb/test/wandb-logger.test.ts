import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readHistory, readSyncState, syncRun } from "../src/index.ts";
import { type FakeWandbServer, startFakeWandbServer } from "../src/testing/index.ts";
import {
  API_KEY,
  everythingWritten,
  expectExactlyOnce,
  loggerFor,
  logRows,
  tempRoot,
} from "./wandb-helpers.ts";

type Ctx = { onTestFinished: (fn: () => Promise<void>) => void };
async function server(
  ctx: Ctx,
  mode?: Parameters<typeof startFakeWandbServer>[0],
): Promise<FakeWandbServer> {
  const started = await startFakeWandbServer({ apiKey: API_KEY, stallMs: 10_000, ...mode });
  ctx.onTestFinished(() => started.close());
  return started;
}

describe.concurrent("WandBLogger with the real @wandb/sdk", () => {
  it("online: every metric, the config, the summary and completion arrive; a second sync sends nothing", async (ctx) => {
    const fake = await server(ctx);
    const logger = loggerFor(fake, tempRoot());
    logger.initialize();
    logRows(logger, 0, 12);
    logger.summary({ best_acc: 0.11 });
    const path = logger.logConfusionMatrix(
      "confusion",
      [
        [3, 1],
        [0, 4],
      ],
      ["cat", "dog"],
    );
    const report = await logger.finish(0);

    expect(report).toMatchObject({ totalRows: 12, confirmedRows: 12, warnings: [] });
    const state = readSyncState(logger.runDir);
    expect(state?.history).toEqual([[0, 12]]);
    expectExactlyOnce(fake, logger.runDir, state?.runId ?? "");
    const run = fake.run(state?.runId);
    expect(run.config).toEqual({ lr: 0.01, layers: [32, 10], wandb: { api_key: "[REDACTED]" } });
    expect(run.summary).toMatchObject({ best_acc: 0.11, loss: 1 / 12 });
    expect(run.complete).toEqual({ exitcode: 0 });
    expect(run.tags).toEqual(["test"]);
    const png = readFileSync(join(logger.runDir, "media/confusion.png"));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(JSON.parse(readFileSync(join(logger.runDir, "summary.json"), "utf8")).confusion).toEqual(
      {
        _type: "confusion_matrix",
        path: "media/confusion.json",
        image: "media/confusion.png",
      },
    );
    expect(JSON.parse(readFileSync(join(logger.runDir, path), "utf8"))).toMatchObject({
      labels: ["cat", "dog"],
      matrix: [
        [3, 1],
        [0, 4],
      ],
    });

    const before = fake.requests.length;
    const again = await syncRun(logger.runDir, { apiKey: API_KEY, baseUrl: fake.url });
    expect(again._unsafeUnwrap()).toMatchObject({ upToDate: true, uploadedRows: 0 });
    expect(fake.requests.length).toBe(before);
    expect(everythingWritten(logger.runDir)).not.toContain(API_KEY);
  });

  it("offline: talks to nobody during the run; `syncRun` later uploads everything once", async (ctx) => {
    const fake = await server(ctx);
    const logger = loggerFor(fake, tempRoot(), { mode: "offline" });
    logger.initialize();
    logRows(logger, 0, 7);
    logger.store.setStatus("finished");
    const report = await logger.finish(0);
    expect(report).toMatchObject({ mode: "offline", totalRows: 7, confirmedRows: 0 });
    expect(fake.requests).toEqual([]);

    // Two syncs at once: the lock lets one upload, the other is refused.
    const [a, b] = await Promise.all([
      syncRun(logger.runDir, { apiKey: API_KEY, baseUrl: fake.url }),
      syncRun(logger.runDir, { apiKey: API_KEY, baseUrl: fake.url }),
    ]);
    const first = a.isOk() ? a : b;
    expect((a.isOk() ? b : a)._unsafeUnwrapErr().message).toMatch(/another sync .* in progress/);
    expect(first._unsafeUnwrap()).toMatchObject({
      uploadedRows: 7,
      confirmedRows: 7,
      completed: true,
    });
    const second = await syncRun(logger.runDir, { apiKey: API_KEY, baseUrl: fake.url });
    expect(second._unsafeUnwrap()).toMatchObject({ uploadedRows: 0, upToDate: true });
    const runName = readSyncState(logger.runDir)?.runId ?? "";
    expectExactlyOnce(fake, logger.runDir, runName);
    expect(fake.run(runName).complete).toEqual({ exitcode: 0 });
    expect(everythingWritten(logger.runDir)).not.toContain(API_KEY);
  });

  it("disabled: local run directory only, no sync state, no requests", async (ctx) => {
    const fake = await server(ctx);
    const logger = loggerFor(fake, tempRoot(), { mode: "disabled" });
    logger.initialize();
    logRows(logger, 0, 3);
    await logger.finish(0);
    expect(readHistory(logger.runDir)).toHaveLength(3);
    expect(existsSync(join(logger.runDir, "wandb-sync.json"))).toBe(false);
    expect(fake.requests).toEqual([]);
  });

  it("server down: the run ends fast, keeps every row, and a later sync delivers them once", async (ctx) => {
    const fake = await server(ctx, { mode: "down" });
    const logger = loggerFor(fake, tempRoot());
    logger.initialize();
    logRows(logger, 0, 6);
    const started = Date.now();
    const report = await logger.finish(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(report.confirmedRows).toBe(0);
    expect(report.warnings.join("\n")).toMatch(/sync failed/);
    expect(readHistory(logger.runDir)).toHaveLength(6);

    await fake.setMode("healthy");
    const synced = await syncRun(logger.runDir, {
      apiKey: API_KEY,
      baseUrl: fake.url,
      exitCode: 0,
    });
    expect(synced._unsafeUnwrap()).toMatchObject({ uploadedRows: 6, confirmedRows: 6 });
    expectExactlyOnce(fake, logger.runDir, readSyncState(logger.runDir)?.runId ?? "");
    const text = everythingWritten(logger.runDir) + report.warnings.join("\n");
    expect(text).not.toContain(API_KEY);
  });

  it("GraphQL 500 (the SDK would retry for ~20 min): init is cut off, the run ends in bounded time", async (ctx) => {
    const fake = await server(ctx, { mode: "graphql-500" });
    const logger = loggerFor(fake, tempRoot(), {
      timeouts: { initMs: 2_500, finishMs: 2_000, requestMs: 1_000 },
    });
    logger.initialize();
    logRows(logger, 0, 5);
    const started = Date.now();
    const report = await logger.finish(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(report.warnings.join("\n")).toMatch(/init timed out .*killed/);
    const failed = await syncRun(logger.runDir, {
      apiKey: API_KEY,
      baseUrl: fake.url,
      timeoutMs: 1_000,
    });
    expect(failed._unsafeUnwrapErr().message).toMatch(/HTTP 500/);
    expect(failed._unsafeUnwrapErr().message).not.toContain(API_KEY);

    await fake.setMode("healthy");
    const synced = await syncRun(logger.runDir, {
      apiKey: API_KEY,
      baseUrl: fake.url,
      exitCode: 0,
    });
    expect(synced._unsafeUnwrap()).toMatchObject({ uploadedRows: 5, completed: true });
    expectExactlyOnce(fake, logger.runDir, readSyncState(logger.runDir)?.runId ?? "");
    expect(everythingWritten(logger.runDir)).not.toContain(API_KEY);
  });

  it("a sync against a stalled server stops at its time budget and leaves every row pending", async (ctx) => {
    const fake = await server(ctx, { mode: "stall" });
    const logger = loggerFor(fake, tempRoot(), { mode: "offline" });
    logger.initialize();
    logRows(logger, 0, 4);
    await logger.finish();
    const started = Date.now();
    const result = await syncRun(logger.runDir, {
      apiKey: API_KEY,
      baseUrl: fake.url,
      timeoutMs: 30_000,
      budgetMs: 600,
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result._unsafeUnwrapErr()).toMatchObject({ uploadedRows: 0, pendingRows: 4 });
    expect(readSyncState(logger.runDir)?.lastError).toMatch(/no answer in \d+ ms/);
  });
});
