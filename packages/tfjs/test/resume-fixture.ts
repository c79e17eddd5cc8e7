/**
 * A training run for the kill/resume test: `node --import tsx packages/tfjs/test/resume-fixture.ts <backend>
 * <checkpointDir> <weightsOut> [workers]`. Prints `checkpoint <step>` after each checkpoint and
 * `done <resumedFromStep>` at the end, after writing the final weights to <weightsOut>.
 */
import { writeFileSync } from "node:fs";
import * as tfl from "@tensorflow/tfjs-layers";
import { resolveBackend, train } from "../src/index.ts";
import { Rng } from "../src/rng.ts";

const [backend, dir, out, workers] = process.argv.slice(2);
if ((backend !== "cpu" && backend !== "wasm") || !dir || !out) {
  throw new Error("usage: resume-fixture.ts <cpu|wasm> <checkpointDir> <weightsOut>");
}
await resolveBackend({ backend });

const n = 1024;
const dims = 64;
const rng = Rng.fromSeed(11);
const images = new Float32Array(n * dims).map(() => rng.next());
const labels = new Int32Array(n).map((_, i) => i % 4);
for (let i = 0; i < n; i++) images[i * dims + labels[i]!]! += 1;

const model = tfl.sequential({
  layers: [
    tfl.layers.dense({
      inputShape: [dims],
      units: 64,
      activation: "relu",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
    tfl.layers.dense({
      units: 4,
      activation: "softmax",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    }),
  ],
});

const result = await train({
  model,
  train: { images, labels, length: n, numClasses: 4 },
  epochs: 3,
  batchSize: 16,
  seed: 5,
  learningRate: 3e-3,
  lrSchedule: { kind: "exponential", gamma: 0.8 },
  clipNorm: 1,
  checkpoint: { dir, everySteps: 16, keep: 2 },
  resume: true,
  onCheckpoint: ({ step }) => process.stdout.write(`checkpoint ${step}\n`),
  ...(workers ? { workers: Number(workers) } : {}),
});

const weights = model.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer));
writeFileSync(out, Buffer.concat(weights));
process.stdout.write(`done ${result.resumedFromStep ?? 0}\n`);
