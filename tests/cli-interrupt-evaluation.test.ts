// Ctrl-C while the evaluation step runs: the evaluation yields between batches, so the signal
// arrives, the step stops, cleanup runs and `tipi run` exits 130 (it used to finish, exit 0).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const tipi = join(root, "packages/cli/dist/bin.js");

it("SIGINT during evaluation ends the run interrupted (exit 130), cleanup done, no test metrics", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "tipi-eval-sigint-")), "run");
  // Training is tiny (one epoch of 128 images); the evaluation is 2,000 test images in
  // batches of 4: 500 batches, well over a second on wasm, so the signal lands inside it.
  const argv = [
    tipi,
    "run",
    join(root, "examples/fashion-mnist/pipeline.toml"),
    ...["--set", "hyperparameters.epochs=1", "--set", "hyperparameters.checkpointEvery=0"],
    ...["--set", "data.trainLimit=128", "--set", "evaluate.batchSize=4"],
    ...["--set", "device.backend=wasm", "--set", "device.workers=1"],
    ...["--run-dir", dir, "--json"],
  ];
  const child = spawn(process.execPath, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let pending = "";
  let stderr = "";
  let sentAt: number | undefined;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const event = JSON.parse(line) as { type: string; step?: string };
      if (sentAt === undefined && event.type === "step:start" && event.step === "evaluate") {
        sentAt = Date.now();
        child.kill("SIGINT");
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  expect(sentAt, stderr).toBeDefined();
  expect(code, stderr).toBe(130);
  // npx: after `npm start`, tipi is not on the shell's PATH
  expect(stderr).toMatch(/interrupted; cleanup done · resume: npx tipi run /);
  expect(JSON.parse(readFileSync(join(dir, "status.json"), "utf8")).status).toBe("interrupted");
  const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Record<
    string,
    unknown
  >;
  expect(summary["test/accuracy"]).toBeUndefined();
  // Training had finished and saved its model; the evaluation left nothing behind.
  expect(existsSync(join(dir, "model", "model.json"))).toBe(true);
  expect(readFileSync(join(dir, "events.jsonl"), "utf8")).not.toContain("confusion-matrix");
}, 120_000);
