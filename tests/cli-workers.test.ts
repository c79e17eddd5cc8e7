import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const tipi = join(root, "packages/cli/dist/bin.js");

/** `tipi run` of the example, tiny, with `device.workers` set; resolves with its exit code. */
function run(dir: string, workers: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        tipi,
        "run",
        join(root, "examples/fashion-mnist/pipeline.toml"),
        "--set",
        "hyperparameters.epochs=1",
        "--set",
        "data.trainLimit=384",
        "--set",
        "data.testLimit=100",
        "--set",
        "device.backend=wasm",
        "--set",
        `device.workers=${workers}`,
        "--run-dir",
        dir,
        "--no-progress",
      ],
      { cwd: root, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("tipi run with device.workers (the built packages: worker threads from dist/)", () => {
  it("trains on 2 replicas, the same bits twice, and differently from 1 replica", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "tipi-workers-"));
    const dirs = ["two-a", "two-b", "one"].map((name) => join(scratch, name));
    const runs = await Promise.all([run(dirs[0]!, "2"), run(dirs[1]!, "2"), run(dirs[2]!, "1")]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const weights = dirs.map((dir) => readFileSync(join(dir, "model", "weights.bin")));
    const events = dirs.map((dir) => readFileSync(join(dir, "events.jsonl"), "utf8"));
    expect(weights[0]!.equals(weights[1]!)).toBe(true);
    expect(weights[0]!.equals(weights[2]!)).toBe(false);
    expect(events[0]).toContain("training on 2 data-parallel replicas");
    expect(events[2]).not.toContain("data-parallel replicas");
    // Metrics and the evaluation are there as with one replica.
    for (const dir of dirs) {
      const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
      expect(summary["test/accuracy"]).toBeGreaterThan(0.3);
      expect(summary["val/accuracy"]).toBeGreaterThan(0.3);
      expect(summary["train/epoch_loss"]).toBeGreaterThan(0);
    }
  });
});
