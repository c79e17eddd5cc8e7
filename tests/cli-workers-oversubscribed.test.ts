// An explicit `device.workers` above the cores "auto" counts (TIPI_CORES here) trains as asked,
// with a warning that names both numbers and auto's pick (the built CLI: worker threads from dist/).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { REPO, tipi } from "./fixtures/cli/run-tipi.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-workers-oversubscribed-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test("workers = 3 under TIPI_CORES=2: a warning, then 3 replicas as asked", async () => {
  const dir = join(scratch, "run");
  const r = await tipi(
    [
      "run",
      join(REPO, "examples/fashion-mnist/pipeline.toml"),
      "--set",
      "hyperparameters.epochs=1",
      "--set",
      "data.trainLimit=256",
      "--set",
      "data.testLimit=100",
      "--set",
      "device.backend=wasm",
      "--set",
      "device.workers=3",
      "--run-dir",
      dir,
      "--no-progress",
    ],
    { env: { TIPI_CORES: "2" }, timeoutMs: 60_000 },
  );
  expect(r.code, r.stderr).toBe(0);
  const warning =
    'workers = 3 starts 3 replicas on 2 cores (TIPI_CORES=2): replicas sharing a core make every step wait, so training is slower than with fewer; "auto" picks 2 here. Training with 3, as asked.';
  expect(r.stderr).toContain(`warn: ${warning}`);
  const events = readFileSync(join(dir, "events.jsonl"), "utf8");
  expect(events).toContain(JSON.stringify(warning));
  expect(events).toContain("training on 3 data-parallel replicas");
}, 90_000);

test("workers = 2 under TIPI_CORES=2 says nothing", async () => {
  const dir = join(scratch, "quiet");
  const r = await tipi(
    [
      "run",
      join(REPO, "examples/fashion-mnist/pipeline.toml"),
      ...["--set", "hyperparameters.epochs=1", "--set", "data.trainLimit=128"],
      ...["--set", "data.testLimit=64", "--set", "device.backend=wasm"],
      ...["--set", "device.workers=2", "--run-dir", dir, "--no-progress"],
    ],
    { env: { TIPI_CORES: "2" }, timeoutMs: 60_000 },
  );
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).not.toContain("sharing a core");
  expect(readFileSync(join(dir, "events.jsonl"), "utf8")).toContain(
    "training on 2 data-parallel replicas",
  );
}, 90_000);
