/**
 * Sweep throughput: 8 short CPU-bound trials with parallel 1 against parallel 2.
 *
 *   pnpm tsx bench/sweep.bench.ts [--trials 8] [--work 10] [--steps 4]
 *
 * Each trial is a real child process (the fixture trial script doing a fixed amount of
 * CPU work, steps × work million square roots, and logging history.jsonl), run by the real controller; only `tipi run`
 * is replaced, so the figure is the controller's parallelism, not training speed. The
 * speed-up is the ratio of the two means measured in the same run; on a machine shared
 * with other work it stays below the number of free cores.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import {
  parseSweepConfig,
  runSweep,
  type TrialCommandFactory,
} from "../packages/wandb/src/index.ts";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "8" },
    work: { type: "string", default: "10" },
    steps: { type: "string", default: "4" },
  },
});
const trials = Number(values.trials);
const TRIAL = join(import.meta.dirname, "../packages/wandb/test/fixtures/sweep/trial.mjs");
const trialCommand: TrialCommandFactory = (t) => ({
  command: process.execPath,
  args: [TRIAL, ...t.setFlags, "--run-dir", t.runDir],
});
const config = parseSweepConfig({
  method: "grid",
  metric: { name: "loss", goal: "minimize" },
  parameters: {
    quality: { values: Array.from({ length: trials }, (_, i) => i) },
    steps: { value: Number(values.steps) },
    work: { value: Number(values.work) },
  },
});

const root = await mkdtemp(join(tmpdir(), "tipi-sweep-bench-"));
let runs = 0;
async function sweep(parallel: number): Promise<void> {
  const outcome = await runSweep({
    pipeline: "bench",
    config,
    sweepDir: join(root, `p${parallel}-${runs++}`),
    parallel,
    trialCommand,
    pollMs: 50,
  });
  const finished = outcome.state.trials.filter((t) => t.status === "finished").length;
  if (finished !== trials) throw new Error(`only ${finished}/${trials} trials finished`);
}

const bench = new Bench({ iterations: 2, time: 0, warmupIterations: 1 });
bench.add("parallel 1", () => sweep(1));
bench.add("parallel 2", () => sweep(2));
await bench.run();

const mean = (name: string) => {
  const result = bench.tasks.find((t) => t.name === name)?.result;
  return result && "latency" in result ? result.latency.mean : Number.NaN;
};
console.table(
  bench.tasks.map((task) => ({
    task: task.name,
    "mean s": (mean(task.name) / 1000).toFixed(2),
    "s/trial": (mean(task.name) / 1000 / trials).toFixed(3),
  })),
);
console.log(
  `${trials} trials × ${values.steps} steps × ${values.work}M sqrt, ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)}: ` +
    `speed-up parallel 2 / parallel 1 = ${(mean("parallel 1") / mean("parallel 2")).toFixed(2)}×`,
);
await rm(root, { recursive: true, force: true });
