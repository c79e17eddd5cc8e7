/**
 * The training code every level shares: settings, data, model and one training step.
 * Levels 0–5 import this module and only change what is wrapped around it; none of them
 * copies it (tests/progressive.test.ts checks that).
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import {
  type Batch,
  batchCount,
  batches,
  type ImageDataset,
  loadFashionMnist,
  seededRandom,
  shuffledOrder,
  subset,
} from "@tipi/tfjs";

/** What a training run needs to know. */
export interface Settings {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** How many of the 12,000 embedded training images to use. */
  readonly trainSize: number;
  /** How many of the 2,000 embedded test images to evaluate on. */
  readonly testSize: number;
  readonly seed: number;
}

/** The full run: every embedded image, 3 epochs (about 84% test accuracy). */
export const FULL: Settings = {
  epochs: 3,
  batchSize: 64,
  learningRate: 1e-3,
  trainSize: 12_000,
  testSize: 2_000,
  seed: 42,
};

/** The small, fast mode CI uses: a few hundred images, one epoch. */
export const SMALL: Settings = { ...FULL, epochs: 1, trainSize: 512, testSize: 256 };

/** `SMALL` when `TIPI_SMALL=1` (or `--small` is on the command line), else `FULL`. */
export function defaultSettings(overrides: Partial<Settings> = {}): Settings {
  const small = process.env.TIPI_SMALL === "1" || process.argv.includes("--small");
  return { ...(small ? SMALL : FULL), ...overrides };
}

export interface FashionData {
  readonly train: ImageDataset;
  readonly test: ImageDataset;
}

/** Loads the Fashion-MNIST subset shipped in `@tipi/fashion-mnist` (no download). */
export async function loadData(settings: Settings): Promise<FashionData> {
  const [train, test] = await Promise.all([loadFashionMnist("train"), loadFashionMnist("test")]);
  const first = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    train: subset(train, first(Math.min(settings.trainSize, train.length))),
    test: subset(test, first(Math.min(settings.testSize, test.length))),
  };
}

/** A small MLP (784-128-10): fast on every backend, about 84% on Fashion-MNIST. */
export function buildModel(seed: number): tfl.LayersModel {
  const init = (offset: number) => tfl.initializers.glorotUniform({ seed: seed + offset });
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [28, 28, 1] }),
      tfl.layers.dense({ units: 128, activation: "relu", kernelInitializer: init(0) }),
      tfl.layers.dense({ units: 10, kernelInitializer: init(1) }),
    ],
  });
}

export function createOptimizer(settings: Settings): tf.Optimizer {
  return tf.train.adam(settings.learningRate);
}

/** The batches of one epoch, shuffled with a seed derived from the epoch. */
export function epochBatches(
  data: FashionData,
  settings: Settings,
  epoch: number,
): AsyncIterable<Batch> {
  const order = shuffledOrder(data.train.length, seededRandom(settings.seed + epoch));
  return batches(data.train, order, settings.batchSize);
}

/** How many batches one epoch has. */
export function batchesPerEpoch(data: FashionData, settings: Settings): number {
  return batchCount(data.train.length, settings.batchSize);
}

/** One optimisation step on one batch; returns the batch's mean loss. */
export function trainStep(model: tfl.LayersModel, optimizer: tf.Optimizer, batch: Batch): number {
  return tf.tidy(() => {
    const xs = tf.tensor4d(batch.xs, [batch.size, 28, 28, 1]);
    const ys = tf.oneHot(tf.tensor1d(batch.ys, "int32"), 10);
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor),
      true,
    );
    return loss === null ? Number.NaN : loss.dataSync()[0]!;
  });
}

/** Accuracy on the test images. */
export function evaluate(model: tfl.LayersModel, test: ImageDataset): number {
  return tf.tidy(() => {
    const xs = tf.tensor4d(test.images, [test.length, 28, 28, 1]);
    const predicted = tf.argMax(model.predict(xs) as tf.Tensor, -1);
    const correct = tf.sum(tf.equal(predicted, tf.tensor1d(test.labels, "int32"))).dataSync()[0]!;
    return correct / test.length;
  });
}
