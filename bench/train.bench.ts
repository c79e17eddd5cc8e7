/**
 * The default train loop (`train()`, what the `train` join runs) against a raw tfjs loop
 * (`optimizer.minimize` over the same batches): same small CNN, same Fashion-MNIST samples,
 * same backend, batch 64, Adam. Rounds alternate A/B and each is timed in CPU time of this
 * process (wasm runs single-threaded), so a shared machine skews both alike; the figure that
 * matters is the ratio of samples/s (goal ≥ 0.97).
 *
 *   pnpm tsx bench/train.bench.ts [--backend wasm|cpu] [--samples 1536] [--rounds 5]
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import {
  type ImageDataset,
  loadFashionMnist,
  resolveBackend,
  smallCnn,
  subset,
  train,
} from "../packages/tfjs/src/index.ts";
import { printTable } from "./timing.ts";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    samples: { type: "string", default: "1536" },
    rounds: { type: "string", default: "5" },
  },
});
const BATCH = 64;
await resolveBackend({ backend: values.backend as "wasm" | "cpu" });
const full = await loadFashionMnist("train");
const data: ImageDataset = subset(
  full,
  Array.from({ length: Number(values.samples) }, (_, i) => i),
);

const build = () => smallCnn({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });

/** The textbook loop: shuffle, slice a batch, `optimizer.minimize` in a tidy, read the loss. */
function rawEpoch(model: tfl.LayersModel, optimizer: tf.Optimizer): void {
  const order = tf.util.createShuffledIndices(data.length);
  const pixels = 28 * 28;
  for (let start = 0; start < data.length; start += BATCH) {
    const n = Math.min(BATCH, data.length - start);
    const xs = new Float32Array(n * pixels);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const item = order[start + i]!;
      xs.set(data.images.subarray(item * pixels, (item + 1) * pixels), i * pixels);
      ys[i] = data.labels[item]!;
    }
    tf.tidy(() => {
      const x = tf.tensor4d(xs, [n, 28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(ys, "int32"), 10);
      const loss = optimizer.minimize(() => {
        const p = model.apply(x, { training: true }) as tf.Tensor;
        return tf.neg(
          tf.mean(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, 1e-7, 1))), -1)),
        ) as tf.Scalar;
      }, true);
      loss?.dataSync();
    });
  }
}

function cpuSeconds(fn: () => Promise<void> | void): Promise<number> {
  const before = process.cpuUsage();
  return Promise.resolve(fn()).then(() => {
    const d = process.cpuUsage(before);
    return (d.user + d.system) / 1e6;
  });
}

const rawModel = build();
const rawOptimizer = tf.train.adam(1e-3);
const loopModel = build();
const loopOptimizer = tf.train.adam(1e-3);
const runRaw = () => rawEpoch(rawModel, rawOptimizer);
const runLoop = async () => {
  await train({
    model: loopModel,
    optimizer: loopOptimizer,
    train: data,
    epochs: 1,
    batchSize: BATCH,
    emit: () => {},
  });
};

// Warm-up: kernels compile, Adam creates its moments.
await runRaw();
await runLoop();
const raw: number[] = [];
const loop: number[] = [];
for (let r = 0; r < Number(values.rounds); r++) {
  raw.push(await cpuSeconds(runRaw));
  loop.push(await cpuSeconds(runLoop));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rawRate = data.length / median(raw);
const loopRate = data.length / median(loop);
printTable([
  ["loop", "samples/s (CPU time)", "median s/epoch"],
  ["raw tfjs (optimizer.minimize)", rawRate, median(raw)],
  ["tipi train()", loopRate, median(loop)],
  ["ratio train()/raw", loopRate / rawRate, 0],
]);
console.log(
  `backend ${tf.getBackend()}, ${data.length} samples, batch ${BATCH}, ${values.rounds} rounds`,
);
