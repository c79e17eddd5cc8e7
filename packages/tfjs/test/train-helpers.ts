import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Rng } from "../src/rng.ts";
import type { LabelledArrays } from "../src/train/batch.ts";

/** A small MLP with seeded initialisers, so two builds are identical. */
export function tinyMlp(inputs: number, classes: number, seed = 1): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [inputs],
        units: 16,
        activation: "relu",
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      }),
      tfl.layers.dense({
        units: classes,
        activation: "softmax",
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
      }),
    ],
  });
}

/** `n` points around `classes` separated centres in `dims` dimensions. */
export function blobs(n: number, dims: number, classes: number, seed = 7): LabelledArrays {
  const rng = Rng.fromSeed(seed);
  const images = new Float32Array(n * dims);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % classes;
    labels[i] = label;
    for (let d = 0; d < dims; d++) {
      images[i * dims + d] = (d % classes === label ? 2 : 0) + (rng.next() - 0.5);
    }
  }
  return { images, labels, length: n, numClasses: classes };
}

/** Every weight of `model` as one flat array. */
export function flatWeights(model: tfl.LayersModel): Float32Array {
  const parts = model.getWeights().map((w) => w.dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export { tf };
