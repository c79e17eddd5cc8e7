/**
 * Data-parallel training: the default small CNN on Fashion-MNIST, batch 64, `train()` with
 * `workers: 1` (this thread alone) against `workers: N` (N replicas: this thread + N-1 worker
 * threads), in one run with tinybench. Reports wall-clock samples/s of one epoch each (the
 * replicas are other threads, so CPU time of this one would flatter them) and the ratio
 * against N = 1. Each `train()` starts its own worker, cold; warm loops follow, alternating
 * epochs: one thread against an N-replica pool with tfjs's Adam applied to `pool.step`'s
 * gradients and one running `pool.trainStep` (Adam on the shared memory), with where a step
 * goes: publishing weights, the own shard, waiting for the slowest replica, the all-reduce,
 * the optimizer. *
 *   pnpm tsx bench/replicas.bench.ts [--workers 2] [--samples 3072] [--rounds 5]
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { Bench } from "tinybench";
import {
  type ImageDataset,
  loadFashionMnist,
  resolveBackend,
  smallCnn,
  subset,
  train,
} from "../packages/tfjs/src/index.ts";
import { crossEntropy } from "../packages/tfjs/src/train/losses.ts";
import { DEFAULT_SPIN_MS, ReplicaPool } from "../packages/tfjs/src/train/replicas/replica-pool.ts";
import { printTable } from "./timing.ts";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "2" },
    samples: { type: "string", default: "3072" },
    rounds: { type: "string", default: "5" },
  },
});
const BATCH = 64;
const N = Number(values.workers);
await resolveBackend({ backend: "wasm" });
const full = await loadFashionMnist("train");
const data: ImageDataset = subset(
  full,
  Array.from({ length: Number(values.samples) }, (_, i) => i),
);
const build = () => smallCnn({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });

/** Samples/s of `train()`'s steps (its own wall-clock figure), per round. */
const stepRates = new Map<number, number[]>();
/** CPU time of the whole process (every thread) per epoch, and CPU time / wall time. */
const cpu = new Map<number, { ms: number; perWall: number }[]>();
const epoch = (workers: number) => async () => {
  const before = process.cpuUsage();
  const started = performance.now();
  const model = build();
  const result = await train({
    model,
    train: data,
    epochs: 1,
    batchSize: BATCH,
    workers,
    emit: () => {},
  });
  model.dispose();
  stepRates.set(workers, [...(stepRates.get(workers) ?? []), result.samplesPerSecond]);
  const used = process.cpuUsage(before);
  const ms = (used.user + used.system) / 1000;
  const entry = { ms, perWall: ms / (performance.now() - started) };
  cpu.set(workers, [...(cpu.get(workers) ?? []), entry]);
};

// Rounds alternate the order (N first, then 1 first), so slow phases of a shared machine hit
// both alike; each round is one tinybench run of one epoch per task.
const wall = new Map<number, number[]>();
await epoch(1)();
await epoch(N)();
stepRates.clear();
cpu.clear();
for (let round = 0; round < Number(values.rounds); round++) {
  const bench = new Bench({ iterations: 1, time: 0, warmup: false });
  const order = round % 2 === 0 ? [1, N] : [N, 1];
  for (const w of order) bench.add(`workers = ${w}`, epoch(w));
  await bench.run();
  for (const [i, task] of bench.tasks.entries()) {
    const r = task.result;
    if (r.state !== "completed") throw new Error(`${task.name}: ${r.state}`);
    const w = order[i]!;
    wall.set(w, [...(wall.get(w) ?? []), r.latency.mean]);
  }
}
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const epochRate = (w: number) => (data.length / median(wall.get(w)!)) * 1000;
const stepRate = (w: number) => median(stepRates.get(w)!);
const cpuMs = (w: number) => median(cpu.get(w)!.map((c) => c.ms));
const cpuPerWall = (w: number) => median(cpu.get(w)!.map((c) => c.perWall));

// Warm loops, alternating epochs: one thread (variableGrads + tfjs's Adam, as train() does with
// 1 replica) against N-replica pools: tfjs's Adam applied to `pool.step`'s gradients with
// threads that sleep at once (`spinMs: 0`, close to the pool before trainStep), and
// `pool.trainStep` (Adam on the shared memory) sleeping at once and polling first (default).
const variants = [
  { label: `${N} replicas, step + tfjs Adam, spinMs 0`, fused: false, spinMs: 0 },
  { label: `${N} replicas, trainStep, spinMs 0`, fused: true, spinMs: 0 },
  { label: `${N} replicas, trainStep, spinMs ${DEFAULT_SPIN_MS}`, fused: true, spinMs: undefined },
] as const;
const warmModels = [build(), ...variants.map(() => build())];
const warmOptimizers = warmModels.map(() => tf.train.adam(1e-3));
const pools = await Promise.all(
  variants.map((variant, k) =>
    ReplicaPool.start({
      model: warmModels[k + 1]!,
      count: N,
      outputKind: "probabilities",
      ...(variant.spinMs !== undefined ? { spinMs: variant.spinMs } : {}),
    }),
  ),
);
const oneVars = warmModels[0]!.trainableWeights.map((w) => w.read() as tf.Variable);
const loops: ((xs: Float32Array, ys: Int32Array) => Promise<void>)[] = [
  async (xs, ys) => {
    const x = tf.tensor4d(xs, [ys.length, 28, 28, 1]);
    const y = tf.tensor1d(ys, "int32");
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () =>
          crossEntropy(
            warmModels[0]!.apply(x, { training: true }) as tf.Tensor,
            y,
            "probabilities",
          ),
        oneVars,
      );
      warmOptimizers[0]!.applyGradients(
        oneVars.map((v) => ({ name: v.name, tensor: grads[v.name]! })),
      );
      value.dataSync();
    });
    tf.dispose([x, y]);
  },
  ...variants.map((variant, k) => async (xs: Float32Array, ys: Int32Array) => {
    const pool = pools[k]!;
    const optimizer = warmOptimizers[k + 1]!;
    if (variant.fused) {
      await pool.trainStep(xs, ys, [28, 28, 1], optimizer as tf.AdamOptimizer);
    } else {
      const { grads } = await pool.step(xs, ys, [28, 28, 1]);
      tf.tidy(() => optimizer.applyGradients(pool.gradientMap(grads)));
    }
  }),
];
const loopWall = loops.map(() => 0);
const loopSteps = loops.map(() => 0);
const runLoopEpoch = async (k: number) => {
  const started = performance.now();
  for (let start = 0; start < data.length; start += BATCH) {
    const n = Math.min(BATCH, data.length - start);
    await loops[k]!(
      data.images.slice(start * 784, (start + n) * 784),
      data.labels.slice(start, start + n),
    );
    loopSteps[k]!++;
  }
  loopWall[k]! += performance.now() - started;
};
const ks = loops.map((_, k) => k);
for (const k of ks) await runLoopEpoch(k);
const warm = pools.map((pool) => pool.timings);
loopWall.fill(0);
loopSteps.fill(0);
for (let round = 0; round < Number(values.rounds); round++) {
  for (const k of round % 2 === 0 ? ks : [...ks].reverse()) await runLoopEpoch(k);
}
const loopStep = (k: number) => loopWall[k]! / loopSteps[k]!;
const timings = pools.map((pool, p) => {
  const t = pool.timings;
  const w = warm[p]!;
  const steps = t.steps - w.steps;
  const per = (key: Exclude<keyof typeof t, "steps">) => ((t[key] ?? 0) - (w[key] ?? 0)) / steps;
  return {
    publish: per("publishMs"),
    own: per("ownShardMs"),
    wait: per("waitMs"),
    replica: per("replicaMs"),
    reduce: per("reduceMs"),
    optimizer: per("optimizerMs"),
    step: loopStep(p + 1),
  };
});
await Promise.all(pools.map((pool) => pool.close()));

printTable([
  ["replicas", "steps: samples/s", "× workers = 1", "epoch incl. start: samples/s", "×"],
  ["workers = 1", stepRate(1), 1, epochRate(1), 1],
  [
    `workers = ${N}`,
    stepRate(N),
    stepRate(N) / stepRate(1),
    epochRate(N),
    epochRate(N) / epochRate(1),
  ],
]);
// Under contention a process gets a share of the cores whatever its thread count (Linux
// autogroups give each session one share): cores used per wall second says what it got.
printTable([
  ["replicas", "CPU ms/epoch (all threads, incl. start)", "× workers = 1", "cores used (CPU/wall)"],
  ["workers = 1", cpuMs(1), 1, cpuPerWall(1)],
  [`workers = ${N}`, cpuMs(N), cpuMs(N) / cpuMs(1), cpuPerWall(N)],
]);
printTable([
  ["warm loops", "ms/step", "samples/s", "× one thread"],
  ...["one thread, tfjs Adam", ...variants.map((v) => v.label)].map((label, k) => [
    label,
    loopStep(k),
    (BATCH / loopStep(k)) * 1000,
    loopStep(0) / loopStep(k),
  ]),
]);
const row = (label: string, pick: (t: (typeof timings)[number]) => number) => [
  label,
  ...timings.flatMap((t) => [pick(t), pick(t) / t.step]),
];
printTable([
  [
    `one step of ${N} replicas`,
    ...variants.flatMap((v) => [v.label.replace(/^\d+ replicas, /, ""), "share"]),
  ],
  row("publish weights", (t) => t.publish),
  row("own shard (forward + backward)", (t) => t.own),
  row("wait for the other replicas", (t) => t.wait),
  row("(slowest worker replica's own time)", (t) => t.replica),
  row("all-reduce (sum gradients)", (t) => t.reduce),
  row("Adam on the shared memory + load", (t) => t.optimizer),
  row("whole step incl. optimizer", (t) => t.step),
]);
console.log(
  `backend ${tf.getBackend()}, ${data.length} samples, batch ${BATCH}, ${values.rounds} rounds`,
);
