import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { buildPipeline, Registry, type TipiEvent } from "@tipi/core";
import { beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../src/checkpoint/saved-model.ts";
import { FASHION_MNIST_DIR } from "../src/data/fashion-mnist.ts";
import { encodeIdx, readIdxFile } from "../src/data/idx.ts";
import type { Evaluation } from "../src/evaluate/evaluate.ts";
import { Hyperparameters } from "../src/permanences/hyperparameters.ts";
import { registerTfjs } from "../src/registry.ts";
import type { TrainResult } from "../src/train/train-loop.ts";

/** The first `n` items of an embedded Fashion-MNIST split, as raw IDX files in `dir`. */
async function sliceIdx(dir: string, prefix: string, n: number) {
  const images = await readIdxFile(join(FASHION_MNIST_DIR, `${prefix}-images-idx3-ubyte.gz`));
  const labels = await readIdxFile(join(FASHION_MNIST_DIR, `${prefix}-labels-idx1-ubyte.gz`));
  const paths = { images: join(dir, `${prefix}-images`), labels: join(dir, `${prefix}-labels`) };
  writeFileSync(paths.images, encodeIdx(images.data.subarray(0, n * 784), [n, 28, 28]));
  writeFileSync(paths.labels, encodeIdx(labels.data.subarray(0, n), [n]));
  return paths;
}

let files: Record<string, string> = {};
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "tipi-idx-"));
  const [train, test] = await Promise.all([
    sliceIdx(dir, "train", 285),
    sliceIdx(dir, "t10k", 200),
  ]);
  files = {
    trainImages: train.images,
    trainLabels: train.labels,
    testImages: test.images,
    testLabels: test.labels,
  };
});

const config = (overrides: { epochs?: number } = {}) => ({
  pipeline: { name: "tiny" },
  permanences: {
    device: { type: "Device", backend: "cpu" },
    hyperparameters: {
      type: "Hyperparameters",
      epochs: overrides.epochs ?? 1,
      batchSize: 32,
      learningRate: 0.003,
      checkpointEvery: 4,
    },
    data: { type: "Data", source: "idx", ...files, valFraction: 0.1 },
    network: { type: "Network", architecture: "mlp" },
  },
  processes: {
    train: { type: "TrainingProcess" },
    evaluate: { type: "EvaluationProcess" },
  },
});

describe("Hyperparameters", () => {
  it("applies defaults, maps schedules and optimizers, and rejects bad values", () => {
    const hp = new Hyperparameters({ lrSchedule: "step", lrGamma: 0.1, lrStepEpochs: 3 });
    expect(hp.values).toMatchObject({ epochs: 10, batchSize: 64, learningRate: 1e-3, seed: 42 });
    expect(hp.lrSchedule).toEqual({ kind: "step", everyEpochs: 3, gamma: 0.1 });
    expect(hp.earlyStopping).toBeUndefined();
    expect(new Hyperparameters({ earlyStoppingPatience: 2 }).earlyStopping).toMatchObject({
      patience: 2,
      monitor: "val/loss",
    });
    const sgd = new Hyperparameters({ optimizer: "sgd" }).createOptimizer();
    expect(sgd.getClassName()).toBe("SGD");
    sgd.dispose();
    expect(() => new Hyperparameters({ epochs: 0 })).toThrow();
  });
});

describe("registerTfjs and a config-built pipeline", () => {
  it("reports bad params with their key path and builds nothing", () => {
    const bad = config();
    const built = buildPipeline(
      {
        ...bad,
        permanences: {
          ...bad.permanences,
          hyperparameters: { type: "Hyperparameters", epochs: "three", batchsize: 2 },
        },
      },
      registerTfjs(new Registry()),
    );
    expect(built.isErr()).toBe(true);
    const paths = built.isErr() ? built.error.map((i) => i.path.join(".")) : [];
    expect(paths).toContain("permanences.hyperparameters.epochs");
    expect(paths).toContain("permanences.hyperparameters.batchsize");
  });

  it("trains, checkpoints, saves the model, evaluates, and resumes with --resume", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tipi-perm-"));
    const registry = registerTfjs(new Registry());
    const events: TipiEvent[] = [];
    const first = buildPipeline(config(), registry)._unsafeUnwrap();
    const result = await first.run({}, { runDir, onEvent: (e) => events.push(e) });
    expect(result.isOk()).toBe(true);
    const state = result._unsafeUnwrap() as { train: TrainResult; evaluate: Evaluation };
    expect(state.train.epochs).toBe(1);
    expect(state.train.steps).toBe(8);
    expect(state.evaluate.samples).toBe(200);
    expect(state.evaluate.confusion).toHaveLength(10);
    expect(state.evaluate.confusion.flat().reduce((a, b) => a + b, 0)).toBe(200);
    expect(state.evaluate.accuracy).toBeGreaterThan(0.3);
    expect(events.some((e) => e.type === "metric" && "test/accuracy" in e.values)).toBe(true);
    // EvaluationProcess publishes the confusion matrix and the per-class table it computed.
    const figures = new Map(
      events.flatMap((e) => (e.type === "figure" ? [[e.name, e.figure] as const] : [])),
    );
    expect(figures.get("confusion-matrix")).toEqual({
      kind: "confusion-matrix",
      labels: state.evaluate.perClass.map((c) => c.label),
      matrix: state.evaluate.confusion,
    });
    // Raw IDX files carry no class names: the labels are the class indices.
    expect(state.evaluate.perClass.map((c) => c.label)).toEqual(
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
    const table = figures.get("per-class-accuracy");
    expect(table?.kind === "table" && table.rows.map((row) => row[2])).toEqual(
      state.evaluate.confusion.map((row) => row.reduce((a, b) => a + b, 0)),
    );
    expect(events.some((e) => e.type === "progress" && e.parent === "train:epoch")).toBe(true);
    expect(readdirSync(join(runDir, "checkpoints")).length).toBeGreaterThan(0);

    const saved = await loadModel(join(runDir, "model"));
    expect(saved.countParams()).toBeGreaterThan(0);
    saved.dispose();

    // Resume the same run directory with one more epoch: it continues from step 8.
    const again = buildPipeline(config({ epochs: 2 }), registry)._unsafeUnwrap();
    const resumed = await again.run({}, { runDir, resume: true });
    const next = resumed._unsafeUnwrap() as { train: TrainResult };
    expect(next.train.resumedFromStep).toBe(8);
    expect(next.train.steps).toBe(16);
    expect(next.train.history).toHaveLength(2);
    expect(existsSync(join(runDir, "model", "model.json"))).toBe(true);
    // cleanup disposed the models: nothing but a few backend scalars may remain.
    expect(tf.memory().numTensors).toBeLessThan(10);
  });
});
