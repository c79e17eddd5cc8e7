import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../src/backend/resolve-backend.ts";
import { saveModel } from "../src/checkpoint/saved-model.ts";
import { evaluateModel, evaluateModelAsync } from "../src/evaluate/evaluate.ts";
import { evaluationFigures } from "../src/evaluate/evaluate-stage.ts";
import { Network } from "../src/permanences/network.ts";

beforeAll(async () => {
  await resolveBackend({ backend: "cpu" });
});

/** A 3-class "model" whose prediction is the arg-max of its 3 inputs (identity weights). */
function argmaxModel(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [3], units: 3, useBias: false, activation: "softmax" }),
    ],
  });
  model.setWeights([tf.eye(3)]);
  return model;
}

// Rows predict classes 0, 1, 2, 2, 0; true labels 0, 1, 1, 2, 2.
const data = {
  images: new Float32Array([5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 5, 5, 0, 0]),
  labels: new Int32Array([0, 1, 1, 2, 2]),
  length: 5,
  numClasses: 3,
  classNames: ["a", "b", "c"],
};

describe("evaluateModel", () => {
  it("computes accuracy, per-class accuracy and the confusion matrix", () => {
    const result = evaluateModel(argmaxModel(), data, { batchSize: 2 });
    expect(result.samples).toBe(5);
    expect(result.accuracy).toBeCloseTo(3 / 5);
    expect(result.confusion).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [1, 0, 1],
    ]);
    expect(result.perClassAccuracy).toEqual([1, 0.5, 0.5]);
    expect(result.classNames).toEqual(["a", "b", "c"]);
    // Cross-entropy of softmax([5,0,0]) at the right class is ~0.0134; wrong ones are ~5.01.
    expect(result.loss).toBeCloseTo((3 * 0.01339 + 2 * 5.01339) / 5, 3);
  });

  it("summarises each class and turns the result into a confusion-matrix and a table figure", () => {
    const result = evaluateModel(argmaxModel(), data, { batchSize: 2 });
    expect(result.perClass).toEqual([
      { label: "a", accuracy: 1, count: 1 },
      { label: "b", accuracy: 0.5, count: 2 },
      { label: "c", accuracy: 0.5, count: 2 },
    ]);
    expect(evaluationFigures(result)).toEqual([
      {
        type: "figure",
        name: "confusion-matrix",
        figure: {
          kind: "confusion-matrix",
          labels: ["a", "b", "c"],
          matrix: [
            [1, 0, 0],
            [0, 1, 1],
            [1, 0, 1],
          ],
        },
      },
      {
        type: "figure",
        name: "per-class-accuracy",
        figure: {
          kind: "table",
          columns: ["class", "accuracy", "count"],
          rows: [
            ["a", 1, 1],
            ["b", 0.5, 2],
            ["c", 0.5, 2],
          ],
        },
      },
    ]);
    // Without class names the labels are the class indices; a class with no sample is NaN.
    const unnamed = evaluateModel(argmaxModel(), {
      images: data.images.subarray(0, 6),
      labels: data.labels.subarray(0, 2),
      length: 2,
      numClasses: 3,
    });
    expect(unnamed.perClass).toEqual([
      { label: "0", accuracy: 1, count: 1 },
      { label: "1", accuracy: 1, count: 1 },
      { label: "2", accuracy: Number.NaN, count: 0 },
    ]);
    expect(evaluationFigures(unnamed, "val-").map((e) => e.name)).toEqual([
      "val-confusion-matrix",
      "val-per-class-accuracy",
    ]);
  });

  it("evaluates a model saved to disk and loaded by the Network permanence", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "tipi-eval-")), "model");
    await saveModel(argmaxModel(), dir);
    const network = new Network({ load: dir });
    await network.initialize();
    expect(evaluateModel(network.model, data).accuracy).toBeCloseTo(3 / 5);
    network.cleanup();
  });

  it("evaluateModelAsync gives the same result, and a timer's abort stops it between batches", async () => {
    expect(await evaluateModelAsync(argmaxModel(), data, { batchSize: 2 })).toEqual(
      evaluateModel(argmaxModel(), data, { batchSize: 2 }),
    );
    // 4,000 one-sample batches: far longer than the 30 ms after which the timer aborts.
    const n = 4000;
    const many = {
      images: new Float32Array(n * 3).map((_, i) => (i % 4) + 1),
      labels: new Int32Array(n).map((_, i) => i % 3),
      length: n,
      numClasses: 3,
    };
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error("interrupted by the timer")), 30);
    await expect(
      evaluateModelAsync(argmaxModel(), many, { batchSize: 1, signal: controller.signal }),
    ).rejects.toThrow("interrupted by the timer");
    // it stopped soon after the abort, not at the end of the 4,000 batches
    const full = performance.now();
    evaluateModel(argmaxModel(), many, { batchSize: 1 });
    expect(performance.now() - full).toBeGreaterThan(2 * (full - started));
  });
});
