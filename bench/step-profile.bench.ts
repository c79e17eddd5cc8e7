/**
 * Where one training step of the default small CNN goes on wasm (tipi's training kernels),
 * batch 64, kernel by kernel: tf.profile's per-kernel times, split into forward (+ loss),
 * backward (the gradient tape's kernels) and optimizer (Adam), plus the data step (gathering
 * the batch, making its tensors). Averages over `--steps` warm steps.
 *
 *   pnpm tsx bench/step-profile.bench.ts [--steps 20]
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import {
  gatherBatch,
  loadFashionMnist,
  resolveBackend,
  smallCnn,
} from "../packages/tfjs/src/index.ts";
import { crossEntropy } from "../packages/tfjs/src/train/losses.ts";
import { printTable } from "./timing.ts";

const { values } = parseArgs({
  options: { steps: { type: "string", default: "20" }, batch: { type: "string", default: "64" } },
});
const STEPS = Number(values.steps);
const BATCH = Number(values.batch);
await resolveBackend({ backend: "wasm" });
const data = await loadFashionMnist("train");
const model = smallCnn({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
const optimizer = tf.train.adam(1e-3);
const order = Int32Array.from({ length: data.length }, (_, i) => i);

/** tf.profile's kernels, copied (the engine reuses its profile object between calls). */
async function kernelsOf(fn: () => void): Promise<{ name: string; ms: number }[]> {
  const info = await tf.profile(fn);
  // `…__op` entries are ops (customGrad wrappers) around kernels that are listed too: skipped,
  // so no time counts twice.
  return info.kernels
    .filter((k) => !k.name.endsWith("__op"))
    .map((k) => ({ name: k.name, ms: Number(k.kernelTimeMs) }));
}

const totals = new Map<string, number>();
const add = (key: string, ms: number) => totals.set(key, (totals.get(key) ?? 0) + ms);
let dataMs = 0;
let wallMs = 0;

for (let s = -3; s < STEPS; s++) {
  const measure = s >= 0;
  const t0 = performance.now();
  const batch = gatherBatch(data, order, (s + 3) * BATCH, BATCH);
  const xs = tf.tensor4d(batch.xs, [batch.size, 28, 28, 1]);
  const ys = tf.tensor1d(batch.ys, "int32");
  const t1 = performance.now();
  // Forward alone (its kernels, for the split), then the whole gradient computation.
  const forward = await kernelsOf(() =>
    tf.tidy(() =>
      crossEntropy(model.apply(xs, { training: true }) as tf.Tensor, ys, "probabilities"),
    ),
  );
  let grads: tf.NamedTensorMap = {};
  const tape = await kernelsOf(() => {
    const r = tf.variableGrads(
      () => crossEntropy(model.apply(xs, { training: true }) as tf.Tensor, ys, "probabilities"),
      vars,
    );
    grads = r.grads;
    r.value.dispose();
  });
  const update = await kernelsOf(() =>
    optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name]! }))),
  );
  tf.dispose([xs, ys, ...Object.values(grads)]);
  const t2 = performance.now();
  if (!measure) continue;
  dataMs += t1 - t0;
  // The tape's kernels: the forward ones first, then the backward ones.
  const forwardCount = forward.length;
  for (const k of forward) add(`forward|${k.name}`, k.ms);
  for (const k of tape.slice(forwardCount)) {
    add(`backward|${k.name}`, k.ms);
  }
  for (const k of update) add(`optimizer|${k.name}`, k.ms);
  // A step = data + the tape (forward + backward) + the update; the separate forward pass
  // above is for the split only.
  const tapeMs = tape.reduce((n, k) => n + k.ms, 0);
  const updateMs = update.reduce((n, k) => n + k.ms, 0);
  wallMs += t1 - t0 + tapeMs + updateMs;
  void t2;
}

const per = (ms: number) => ms / STEPS;
const step = per(wallMs);
const rows = [...totals.entries()]
  .map(([key, ms]) => {
    const [phase, kernel] = key.split("|") as [string, string];
    return { phase, kernel, ms: per(ms) };
  })
  .sort((a, b) => b.ms - a.ms);
const phase = (name: string) => rows.filter((r) => r.phase === name).reduce((n, r) => n + r.ms, 0);
printTable([
  ["part", "ms/step", "share"],
  ["data (gather + tensors)", per(dataMs), per(dataMs) / step],
  ["forward + loss", phase("forward"), phase("forward") / step],
  ["backward", phase("backward"), phase("backward") / step],
  ["optimizer (Adam)", phase("optimizer"), phase("optimizer") / step],
  ["step", step, 1],
]);
printTable([
  ["phase", "kernel", "ms/step", "share"],
  ...rows.filter((r) => r.ms / step >= 0.005).map((r) => [r.phase, r.kernel, r.ms, r.ms / step]),
]);
console.log(`wasm, small CNN, batch ${BATCH}, ${STEPS} steps (kernel times from tf.profile)`);
