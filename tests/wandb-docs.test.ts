import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { listRuns, readHistory, readSyncState } from "../packages/wandb/src/index.ts";
import { startFakeWandbServer } from "../packages/wandb/src/testing/index.ts";

const page = readFileSync(join(import.meta.dirname, "../docs/tracking.md"), "utf8");
const tsBlocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
const KEY = "local-docs0123456789abcdef0123456789abcdef01";

type Ctx = { onTestFinished: (fn: () => void) => void };

/** Runs a block as a script in a fresh directory; returns that directory and the output. */
async function runBlock(ctx: Ctx, name: string, code: string, env: NodeJS.ProcessEnv = {}) {
  const cwd = mkdtempSync(join(tmpdir(), "tipi-docs-"));
  // Inside the workspace so `@tipi/wandb` resolves as it does for a user of the package.
  const script = join(import.meta.dirname, `../packages/wandb/.docs-${name}-${process.pid}.mts`);
  writeFileSync(script, code);
  ctx.onTestFinished(() => rmSync(script, { force: true }));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const child = spawn(process.execPath, ["--import", tsx, script], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code_ = await new Promise((resolve) => child.once("exit", resolve));
  expect(code_, out).toBe(0);
  return { cwd, out };
}

describe.concurrent("docs/tracking.md", () => {
  it("the quick start runs as pasted: rows reach W&B, media land in the run directory", async (ctx) => {
    const server = await startFakeWandbServer({ apiKey: KEY });
    ctx.onTestFinished(() => server.close());
    const { cwd, out } = await runBlock(ctx, "quick-start", tsBlocks[0] ?? "", {
      WANDB_API_KEY: KEY,
      WANDB_BASE_URL: server.url,
    });
    expect(out).toMatch(/20\/20 rows confirmed by W&B/);
    const [run] = listRuns(join(cwd, "runs"));
    expect(run?.pipeline).toBe("mnist");
    expect(readHistory(run?.dir ?? "")).toHaveLength(20);
    expect(server.run(readSyncState(run?.dir ?? "")?.runId).history.size).toBe(20);
    expect(readFileSync(join(run?.dir ?? "", "media/confusion.json"), "utf8")).toContain(
      '"kind":"confusion-matrix"',
    );
  });

  it("the media example writes the PNGs and the JSON it names", async (ctx) => {
    const block = tsBlocks.find((b) => b.includes("media-demo")) ?? "";
    const { cwd, out } = await runBlock(ctx, "media", block);
    expect(out.trim().split("\n")).toEqual(["media/sample_0.png", "media/confusion.json"]);
    const [run] = listRuns(join(cwd, "runs"));
    for (const file of ["sample_0.png", "confusion.png", "confusion.json"]) {
      expect(readFileSync(join(run?.dir ?? "", "media", file)).length).toBeGreaterThan(0);
    }
  });

  it("the figure-event example stores the matrix and its heat map", async (ctx) => {
    const block = tsBlocks.find((b) => b.includes("figure-demo")) ?? "";
    const { cwd, out } = await runBlock(ctx, "figure", block);
    expect(out.trim()).toBe("confusion-matrix.json confusion-matrix.png");
    const [run] = listRuns(join(cwd, "runs"));
    expect(
      JSON.parse(readFileSync(join(run?.dir ?? "", "media/confusion-matrix.json"), "utf8")),
    ).toEqual({
      kind: "confusion-matrix",
      labels: ["shirt", "coat"],
      matrix: [
        [50, 3],
        [7, 40],
      ],
    });
  });
});
