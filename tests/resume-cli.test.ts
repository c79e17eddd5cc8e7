import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const tipi = join(root, "packages/cli/dist/bin.js");

/** The example's TOML pipeline, small: 1,024 samples, 2 epochs, checkpoints every 3 steps. */
const args = (runDir: string) => [
  tipi,
  "run",
  join(root, "examples/fashion-mnist/pipeline.toml"),
  "--set",
  "hyperparameters.epochs=2",
  "--set",
  "hyperparameters.checkpointEvery=3",
  "--set",
  "data.trainLimit=1024",
  "--set",
  "data.testLimit=200",
  "--set",
  "device.backend=wasm",
  "--run-dir",
  runDir,
  "--no-progress",
];

function run(argv: string[], onStart?: (child: ChildProcess) => void): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code));
    onStart?.(child);
  });
}

/** Sends SIGINT once the run has written its first checkpoint. */
function interruptAfterFirstCheckpoint(runDir: string) {
  return (child: ChildProcess) => {
    const timer = setInterval(() => {
      const dir = join(runDir, "checkpoints");
      if (existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(".ckpt"))) {
        clearInterval(timer);
        child.kill("SIGINT");
      }
    }, 10);
    child.on("exit", () => clearInterval(timer));
  };
}

describe("tipi run, Ctrl-C, then --resume", () => {
  it("stops with 130, resumes, and saves the same model as an uninterrupted run", async () => {
    const straightDir = mkdtempSync(join(tmpdir(), "tipi-cli-straight-"));
    const resumedDir = mkdtempSync(join(tmpdir(), "tipi-cli-resumed-"));
    const [straight, interrupted] = await Promise.all([
      run(args(straightDir)),
      run(args(resumedDir), interruptAfterFirstCheckpoint(resumedDir)),
    ]);
    expect(straight).toBe(0);
    expect(interrupted).toBe(130);
    expect(JSON.parse(readFileSync(join(resumedDir, "status.json"), "utf8")).status).toBe(
      "interrupted",
    );
    expect(existsSync(join(resumedDir, "model", "weights.bin"))).toBe(false);

    expect(await run([...args(resumedDir), "--resume", "last"])).toBe(0);
    const events = readFileSync(join(resumedDir, "events.jsonl"), "utf8");
    expect(events).toMatch(/resuming from step [1-9]\d* /);
    const a = readFileSync(join(straightDir, "model", "weights.bin"));
    const b = readFileSync(join(resumedDir, "model", "weights.bin"));
    expect(b.equals(a)).toBe(true);
  });
});
