import type * as tfl from "@tensorflow/tfjs-layers";
import { tfLayers } from "../lazy/modules.ts";

/** What a model builder receives. */
export interface ModelSpec {
  /** Per-sample input shape, e.g. `[28, 28, 1]`. */
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** Seed for the initialisers: equal seeds build equal weights. */
  readonly seed: number;
}

/** Builds a (not necessarily compiled) model for a spec. */
export type ModelBuilder = (spec: ModelSpec) => tfl.LayersModel;

/**
 * Seeded Glorot-uniform initialisers with distinct, reproducible seeds: tfjs-layers' default
 * initialisers use an unseeded generator, so every layer should take one of these.
 * @example
 * const init = seededInitializers(42);
 * tfl.layers.dense({ units: 10, kernelInitializer: init() });
 */
export function seededInitializers(
  seed: number,
): () => ReturnType<typeof tfl.initializers.glorotUniform> {
  const { initializers } = tfLayers();
  let next = seed * 1000;
  return () => initializers.glorotUniform({ seed: next++ });
}

/** The small CNN of the Fashion-MNIST example: conv3×3×16, pool, conv3×3×32, pool, dense64, dense10. */
export const smallCnn: ModelBuilder = ({ inputShape, numClasses, seed }) => {
  const init = seededInitializers(seed);
  const tfl = tfLayers();
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [...inputShape],
        filters: 16,
        kernelSize: 3,
        activation: "relu",
        kernelInitializer: init(),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({
        filters: 32,
        kernelSize: 3,
        activation: "relu",
        kernelInitializer: init(),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 64, activation: "relu", kernelInitializer: init() }),
      tfl.layers.dense({ units: numClasses, activation: "softmax", kernelInitializer: init() }),
    ],
  });
};

/** A multi-layer perceptron: flatten, dense256, dense128, dense(numClasses). */
export const mlp: ModelBuilder = ({ inputShape, numClasses, seed }) => {
  const init = seededInitializers(seed);
  const tfl = tfLayers();
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [...inputShape] }),
      tfl.layers.dense({ units: 256, activation: "relu", kernelInitializer: init() }),
      tfl.layers.dense({ units: 128, activation: "relu", kernelInitializer: init() }),
      tfl.layers.dense({ units: numClasses, activation: "softmax", kernelInitializer: init() }),
    ],
  });
};

/** Built-in architectures by config name (`[permanences.network] architecture = "small-cnn"`). */
export const ARCHITECTURES: Readonly<Record<string, ModelBuilder>> = {
  "small-cnn": smallCnn,
  mlp,
};
