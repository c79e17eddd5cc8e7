/**
 * Sweep throughput: 8 short trials with parallel 1 against parallel 2.
 *
 *   pnpm tsx bench/sweep.bench.ts [--trials 8] [--steps 4] [--work 10] [--sleep-ms 250] [--rounds 3]
 *
 * Each trial is a real child process (the fixture trial script, logging history.jsonl) run by
 * the real controller; only `tipi run` is replaced, so the figures are the controller's
 * parallelism, not training speed. Two kinds of trial:
 * - cpu: a fixed amount of CPU work (steps × work million square roots). Its speed-up is
 *   bounded by the idle cores: on a machine busy with other work it drops toward 1×.
 * - sleep: steps × sleep-ms of waiting, which shows the controller's own overlap whatever
 *   the load (ideal 2×, less the process start-up it cannot hide).
 * Rounds alternate which setting goes first, so a load that drifts during the run biases
 * neither; each speed-up is the median of its per-round ratios, all measured in this run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  parseSweepConfig,
  runSweep,
  type SweepConfig,
  type TrialCommandFactory,
} from "../packages/wandb/src/index.ts";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "8" },
    steps: { type: "string", default: "4" },
    work: { type: "string", default: "10" },
    "sleep-ms": { type: "string", default: "250" },
    rounds: { type: "string", default: "3" },
  },
});
const trials = Number(values.trials);
const rounds = Number(values.rounds);
const TRIAL = join(import.meta.dirname, "../packages/wandb/test/fixtures/sweep/trial.mjs");
const trialCommand: TrialCommandFactory = (t) => ({
  command: process.execPath,
  args: [TRIAL, ...t.setFlags, "--run-dir", t.runDir],
});
const sweepOf = (perStep: Record<string, { value: number }>) =>
  parseSweepConfig({
    method: "grid",
    metric: { name: "loss", goal: "minimize" },
    parameters: {
      quality: { values: Array.from({ length: trials }, (_, i) => i) },
      steps: { value: Number(values.steps) },
      ...perStep,
    },
  });
const kinds: Record<string, SweepConfig> = {
  cpu: sweepOf({ work: { value: Number(values.work) } }),
  sleep: sweepOf({ step_ms: { value: Number(values["sleep-ms"]) } }),
};

const root = await mkdtemp(join(tmpdir(), "tipi-sweep-bench-"));
let runs = 0;
async function timedSweep(config: SweepConfig, parallel: number): Promise<number> {
  const start = performance.now();
  const outcome = await runSweep({
    pipeline: "bench",
    config,
    sweepDir: join(root, `run-${runs++}`),
    parallel,
    trialCommand,
    pollMs: 50,
  });
  const finished = outcome.state.trials.filter((t) => t.status === "finished").length;
  if (finished !== trials) throw new Error(`only ${finished}/${trials} trials finished`);
  return performance.now() - start;
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
await timedSweep(kinds.sleep as SweepConfig, 2); // warm-up: file cache, JIT
const rows: Record<string, string | number>[] = [];
const summary: string[] = [];
for (const [kind, config] of Object.entries(kinds)) {
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [1, 2] : [2, 1];
    const seconds: Record<number, number> = {};
    for (const parallel of order) seconds[parallel] = (await timedSweep(config, parallel)) / 1000;
    const p1 = seconds[1] as number;
    const p2 = seconds[2] as number;
    ratios.push(p1 / p2);
    rows.push({
      kind,
      round: round + 1,
      "parallel 1 s": p1.toFixed(2),
      "parallel 2 s": p2.toFixed(2),
      "speed-up": (p1 / p2).toFixed(2),
    });
  }
  summary.push(`${kind}: ${median(ratios).toFixed(2)}×`);
}
console.table(rows);
console.log(
  `${trials} trials × ${values.steps} steps (cpu: ${values.work}M sqrt, sleep: ${values["sleep-ms"]} ms per step), ` +
    `${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)}: speed-up parallel 2 / parallel 1 = ${summary.join(", ")} (median of ${rounds})`,
);
await rm(root, { recursive: true, force: true });
