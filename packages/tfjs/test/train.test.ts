import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { TipiEvent } from "@tipi/core";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../src/backend/resolve-backend.ts";
import { composeAugmentations, flipHorizontal, gaussianNoise } from "../src/data/augment.ts";
import { clipByGlobalNorm } from "../src/train/gradients.ts";
import { learningRateAt } from "../src/train/lr-schedule.ts";
import { train } from "../src/train/train-loop.ts";
import { blobs, flatWeights, tinyMlp } from "./train-helpers.ts";

beforeAll(async () => {
  await resolveBackend({ backend: "cpu" });
});

const data = blobs(240, 8, 3);
const val = blobs(60, 8, 3, 8);
const tmp = () => join(mkdtempSync(join(tmpdir(), "tipi-train-")), "checkpoints");

describe("train", () => {
  it("learns, emits nested progress and metric events, and keeps tf.memory flat", async () => {
    const model = tinyMlp(8, 3);
    const events: TipiEvent[] = [];
    const tensorsAtEpochEnd: number[] = [];
    const result = await train({
      model,
      train: data,
      validation: val,
      epochs: 4,
      batchSize: 32,
      learningRate: 0.02,
      emit: (e) => {
        events.push(e);
        if (e.type === "metric" && "val/loss" in e.values)
          tensorsAtEpochEnd.push(tf.memory().numTensors);
      },
    });
    expect(result.epochs).toBe(4);
    expect(result.steps).toBe(4 * 8);
    expect(result.history.at(-1)!.values["val/accuracy"]).toBeGreaterThan(0.9);
    expect(result.history.at(-1)!.values["train/epoch_loss"]).toBeLessThan(
      result.history[0]!.values["train/epoch_loss"]!,
    );
    // Adam's moments appear in epoch 0; from then on nothing may accumulate.
    expect(new Set(tensorsAtEpochEnd.slice(1)).size).toBe(1);
    const batchBars = events.filter((e) => e.type === "progress" && e.label === "Batch");
    expect(batchBars.length).toBeGreaterThan(0);
    expect(batchBars.every((e) => e.type === "progress" && e.parent === "train:epoch")).toBe(true);
    const epochBar = events.filter((e) => e.type === "progress" && e.id === "train:epoch");
    expect(epochBar.at(-1)).toMatchObject({ current: 4, total: 4, done: true });
    const batchMetrics = events.filter((e) => e.type === "metric" && "train/loss" in e.values);
    expect(batchMetrics.map((e) => e.type === "metric" && e.step)).toEqual([10, 20, 30]);
  });

  it("resumes from a checkpoint after an abort and ends with identical weights", async () => {
    const common = {
      train: data,
      validation: val,
      epochs: 3,
      batchSize: 32,
      seed: 3,
      learningRate: 0.01,
      lrSchedule: { kind: "cosine" as const },
      clipNorm: 5,
      earlyStopping: { patience: 10, restoreBest: true },
    };
    const straight = tinyMlp(8, 3);
    await train({ ...common, model: straight, checkpoint: { dir: tmp() } });

    const dir = tmp();
    const controller = new AbortController();
    const first = tinyMlp(8, 3);
    const aborted = await train({
      ...common,
      model: first,
      checkpoint: { dir, everySteps: 4 },
      signal: controller.signal,
      emit: (e) => {
        if (e.type === "metric" && e.step === 10) controller.abort(new Error("stop here"));
      },
    }).catch((error: unknown) => error);
    expect(aborted).toEqual(new Error("stop here"));

    const resumed = tinyMlp(8, 3);
    const result = await train({ ...common, model: resumed, checkpoint: { dir }, resume: true });
    expect(result.resumedFromStep).toBe(10);
    expect(result.history).toHaveLength(3);
    expect(flatWeights(resumed)).toEqual(flatWeights(straight));
  });

  it("resumes an augmented run mid-epoch with the same per-batch augmentation, bit for bit", async () => {
    const images = blobs(240, 16, 3);
    const build = () =>
      tfl.sequential({
        layers: [
          tfl.layers.flatten({ inputShape: [4, 4, 1] }),
          tfl.layers.dense({
            units: 3,
            activation: "softmax",
            kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
          }),
        ],
      });
    const common = { train: images, epochs: 2, batchSize: 32, seed: 4, learningRate: 0.01 };
    const augment = composeAugmentations(flipHorizontal(), gaussianNoise({ std: 0.3 }));
    const straight = build();
    await train({ ...common, augment, model: straight });
    const plain = build();
    await train({ ...common, model: plain });
    expect(flatWeights(straight)).not.toEqual(flatWeights(plain)); // augmentation took effect

    const dir = tmp();
    const controller = new AbortController();
    const aborted = await train({
      ...common,
      augment,
      model: build(),
      checkpoint: { dir },
      signal: controller.signal,
      metricEverySteps: 1,
      emit: (e) => {
        // 8 batches an epoch: step 11 is batch 3 of the second epoch.
        if (e.type === "metric" && e.step === 11) controller.abort(new Error("stop here"));
      },
    }).catch((error: unknown) => error);
    expect(aborted).toEqual(new Error("stop here"));

    const resumed = build();
    const result = await train({
      ...common,
      augment,
      model: resumed,
      checkpoint: { dir },
      resume: true,
    });
    expect(result.resumedFromStep).toBe(11);
    expect(flatWeights(resumed)).toEqual(flatWeights(straight));
  });

  it("stops early when the monitored metric stalls", async () => {
    const result = await train({
      model: tinyMlp(8, 3),
      train: data,
      validation: val,
      epochs: 10,
      batchSize: 64,
      learningRate: 0,
      earlyStopping: { monitor: "val/accuracy", patience: 2 },
    });
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochs).toBe(3);
    expect(result.bestEpoch).toBe(0);
  });

  it("bounds each update by the clipping norm", async () => {
    const model = tinyMlp(8, 3);
    const before = flatWeights(model);
    await train({
      model,
      optimizer: tf.train.sgd(1),
      learningRate: 1,
      train: blobs(32, 8, 3),
      epochs: 1,
      batchSize: 32,
      clipNorm: 1e-3,
    });
    const after = flatWeights(model);
    const norm = Math.sqrt(after.reduce((s, v, i) => s + (v - before[i]!) ** 2, 0));
    expect(norm).toBeGreaterThan(0);
    expect(norm).toBeLessThanOrEqual(1.0001e-3);
  });
});

describe("clipByGlobalNorm", () => {
  it("scales down only above the norm", () => {
    tf.tidy(() => {
      const grads = [tf.tensor1d([3, 0]), tf.tensor1d([0, 4])];
      const clipped = clipByGlobalNorm(grads, 1);
      expect(clipped.norm.dataSync()[0]).toBeCloseTo(5);
      expect([...clipped.grads[0]!.dataSync(), ...clipped.grads[1]!.dataSync()]).toEqual(
        [0.6, 0, 0, 0.8].map((v) => expect.closeTo(v, 6)),
      );
      expect(clipByGlobalNorm(grads, 10).grads[1]!.dataSync()[1]).toBeCloseTo(4);
    });
  });
});

describe("learningRateAt", () => {
  const at = (step: number) => ({ step, stepsPerEpoch: 10, epochs: 4 });
  it("implements step, exponential and cosine schedules", () => {
    expect(learningRateAt({ kind: "constant" }, 0.1, at(33))).toBe(0.1);
    expect(learningRateAt({ kind: "step", everyEpochs: 2, gamma: 0.5 }, 0.1, at(19))).toBe(0.1);
    expect(learningRateAt({ kind: "step", everyEpochs: 2, gamma: 0.5 }, 0.1, at(20))).toBe(0.05);
    expect(learningRateAt({ kind: "exponential", gamma: 0.5 }, 0.1, at(20))).toBeCloseTo(0.025);
    expect(learningRateAt({ kind: "cosine" }, 0.1, at(0))).toBeCloseTo(0.1);
    expect(learningRateAt({ kind: "cosine" }, 0.1, at(20))).toBeCloseTo(0.05);
    expect(learningRateAt({ kind: "cosine", minLr: 0.01 }, 0.1, at(40))).toBeCloseTo(0.01);
    expect(learningRateAt({ kind: "cosine", warmupEpochs: 1 }, 0.1, at(4))).toBeCloseTo(0.05);
  });
});
