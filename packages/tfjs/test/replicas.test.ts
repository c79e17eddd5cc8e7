import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { TipiEvent } from "@tipi/core";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../src/backend/resolve-backend.ts";
import { composeAugmentations, flipHorizontal, randomCrop } from "../src/data/augment.ts";
import { evaluateModel } from "../src/evaluate/evaluate.ts";
import { smallCnn } from "../src/train/architectures.ts";
import { ReplicaPool } from "../src/train/replicas/replica-pool.ts";
import { shardBounds } from "../src/train/replicas/shard-step.ts";
import { resolveWorkers } from "../src/train/replicas/workers.ts";
import { type TrainOptions, train } from "../src/train/train-loop.ts";
import { blobs, flatWeights, tinyMlp } from "./train-helpers.ts";

beforeAll(async () => {
  await resolveBackend({ backend: "wasm" });
});

describe("shardBounds", () => {
  it("splits contiguously, evenly (or weighted to the training thread), covering every sample once", () => {
    const split = (size: number, n: number) =>
      Array.from({ length: n }, (_, r) => shardBounds(size, n, r));
    expect(split(64, 2)).toEqual([
      [0, 32],
      [32, 64],
    ]);
    expect(split(65, 3)).toEqual([
      [0, 22],
      [22, 44],
      [44, 65],
    ]);
    expect([0, 1].map((r) => shardBounds(64, 2, r, 1.2))).toEqual([
      [0, 35],
      [35, 64],
    ]);
    expect(split(1, 3)).toEqual([
      [0, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(split(7, 1)).toEqual([[0, 7]]);
    for (const [size, n] of [
      [64, 4],
      [5, 2],
      [100, 7],
      [2, 2],
    ] as const) {
      const shards = split(size, n);
      expect(shards[0]![0]).toBe(0);
      expect(shards.at(-1)![1]).toBe(size);
      for (let r = 1; r < n; r++) expect(shards[r]![0]).toBe(shards[r - 1]![1]);
      expect(shards[0]![1]).toBeGreaterThanOrEqual(Math.ceil(size / n));
    }
  });
});

describe("ReplicaPool", () => {
  it("sums shard gradients to the batch gradient, bit-identically across pools", async () => {
    const model = smallCnn({ inputShape: [12, 12, 1], numClasses: 4, seed: 3 });
    const n = 10;
    const xs = new Float32Array(n * 144).map((_, i) => Math.sin(i) * 0.5);
    const ys = new Int32Array(n).map((_, i) => i % 4);
    const run = async (count = 2) => {
      const pool = await ReplicaPool.start({ model, count, outputKind: "probabilities" });
      try {
        const step = await pool.step(xs, ys, [12, 12, 1]);
        return { ...step, grads: step.grads.slice() };
      } finally {
        await pool.close();
      }
    };
    const a = await run();
    const b = await run();
    expect(Buffer.from(a.grads.buffer).equals(Buffer.from(b.grads.buffer))).toBe(true);
    expect(a.loss).toBe(b.loss);
    // One replica is the whole batch on this thread: the shards' sum is that gradient.
    const whole = await run(1);
    let diff = 0;
    for (let i = 0; i < whole.grads.length; i++) {
      diff = Math.max(diff, Math.abs(whole.grads[i]! - a.grads[i]!));
    }
    expect(diff).toBeLessThan(1e-5);
    expect(Math.abs(whole.loss - a.loss)).toBeLessThan(1e-5);
    expect(whole.correct).toBe(a.correct);
  });
});

describe("ReplicaPool.evaluate", () => {
  it("shards an evaluation over the replicas: evaluateModel's accuracy and loss, the same bits twice", async () => {
    const model = smallCnn({ inputShape: [12, 12, 1], numClasses: 4, seed: 5 });
    const n = 203;
    const data = {
      images: new Float32Array(n * 144).map((_, i) => Math.sin(i * 0.37) * 0.5),
      labels: new Int32Array(n).map((_, i) => (i * 7) % 4),
      length: n,
      numClasses: 4,
    };
    const pool = await ReplicaPool.start({ model, count: 2, outputKind: "probabilities" });
    try {
      const [a, b] = [await pool.evaluate(data, 64), await pool.evaluate(data, 64)];
      expect(a).toEqual(b);
      const whole = evaluateModel(model, data, { batchSize: 64, outputKind: "probabilities" });
      expect(a.accuracy).toBe(whole.accuracy);
      expect(Math.abs(a.loss - whole.loss)).toBeLessThan(1e-5);
    } finally {
      await pool.close();
      model.dispose();
    }
  });
});

describe("ReplicaPool.trainStep", () => {
  it("updates the weights to the bits of pool.step + tfjs's Adam, and keeps the optimizer's state", async () => {
    const n = 10;
    const batch = (t: number) => ({
      xs: new Float32Array(n * 144).map((_, i) => Math.sin(i + t * 7) * 0.5),
      ys: new Int32Array(n).map((_, i) => (i + t) % 4),
    });
    const run = async (fused: boolean) => {
      const model = smallCnn({ inputShape: [12, 12, 1], numClasses: 4, seed: 3 });
      const optimizer = tf.train.adam(0.01);
      const pool = await ReplicaPool.start({ model, count: 2, outputKind: "probabilities" });
      const losses: number[] = [];
      try {
        for (let t = 0; t < 12; t++) {
          if (t === 6) (optimizer as unknown as { learningRate: number }).learningRate = 0.002;
          const { xs, ys } = batch(t);
          if (fused) {
            losses.push((await pool.trainStep(xs, ys, [12, 12, 1], optimizer)).loss);
          } else {
            const { loss, grads } = await pool.step(xs, ys, [12, 12, 1]);
            tf.tidy(() => optimizer.applyGradients(pool.gradientMap(grads)));
            losses.push(loss);
          }
        }
        pool.syncOptimizer();
        const state = await optimizer.getWeights();
        const moments = state.slice(1).map((w) => Float32Array.from(w.tensor.dataSync()));
        return { weights: flatWeights(model), losses, moments, iterations: optimizer.iterations };
      } finally {
        await pool.close();
        model.dispose();
      }
    };
    const [tfjs, fused] = [await run(false), await run(true)];
    expect(fused.losses).toEqual(tfjs.losses);
    expect(Buffer.from(fused.weights.buffer).equals(Buffer.from(tfjs.weights.buffer))).toBe(true);
    expect(fused.iterations).toBe(12);
    expect(fused.moments.map((m) => [...m])).toEqual(tfjs.moments.map((m) => [...m]));
  });
});

describe("train() with workers", () => {
  const data = blobs(96, 12, 3);
  const run = async (workers?: number, extra: Partial<TrainOptions> = {}) => {
    const model = tinyMlp(12, 3, 5);
    const events: TipiEvent[] = [];
    const result = await train({
      model,
      train: data,
      validation: blobs(30, 12, 3, 9),
      epochs: 2,
      batchSize: 16,
      seed: 3,
      clipNorm: 5,
      metricEverySteps: 2,
      emit: (e) => events.push(e),
      ...(workers !== undefined ? { workers } : {}),
      ...extra,
    });
    return { result, weights: flatWeights(model), events };
  };

  it("2 replicas give the same bits run after run; 1 is the path without workers", async () => {
    const [a, b, one, plain] = [await run(2), await run(2), await run(1), await run()];
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).toBe(true);
    expect(a.result.history).toEqual(b.result.history);
    expect(a.result.workers).toBe(2);
    expect(Buffer.from(one.weights.buffer).equals(Buffer.from(plain.weights.buffer))).toBe(true);
    expect(one.result.workers).toBeUndefined();
    // Same mathematics, float32 sums in another order: close, not equal.
    let diff = 0;
    for (let i = 0; i < a.weights.length; i++) {
      diff = Math.max(diff, Math.abs(a.weights[i]! - one.weights[i]!));
    }
    expect(diff).toBeLessThan(1e-3);
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(one.weights.buffer))).toBe(false);
    // Progress, batch metrics, epoch metrics with validation, as on one replica.
    const kinds = (events: TipiEvent[]) =>
      events.flatMap((e) => (e.type === "metric" ? [Object.keys(e.values).sort().join(",")] : []));
    expect(kinds(a.events)).toEqual(kinds(one.events));
    expect(a.events.some((e) => e.type === "progress" && e.done === true)).toBe(true);
    expect(
      a.events.some((e) => e.type === "log" && e.message.startsWith("training on 2 data-parallel")),
    ).toBe(true);
    const valAccuracy = (r: typeof a) => r.result.history.at(-1)!.values["val/accuracy"]!;
    expect(Math.abs(valAccuracy(a) - valAccuracy(one))).toBeLessThan(0.05);
  });

  it("trains with tfjs's Adam on the shared memory (no clipping): the same bits run after run and after a resume", async () => {
    const noClip = { clipNorm: undefined } as Partial<TrainOptions>;
    const [a, b] = [await run(2, noClip), await run(2, noClip)];
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).toBe(true);
    expect(a.result.history).toEqual(b.result.history);
    const dir = mkdtempSync(join(tmpdir(), "tipi-replicas-fused-"));
    const controller = new AbortController();
    let seen = 0;
    await expect(
      run(2, {
        ...noClip,
        checkpoint: { dir },
        signal: controller.signal,
        emit: (e) => {
          if (e.type === "metric" && ++seen === 3) controller.abort(new Error("stop"));
        },
      }),
    ).rejects.toThrow("stop");
    const resumed = await run(2, { ...noClip, checkpoint: { dir }, resume: true });
    expect(resumed.result.resumedFromStep).toBe(6);
    expect(Buffer.from(resumed.weights.buffer).equals(Buffer.from(a.weights.buffer))).toBe(true);
    expect(resumed.result.history).toEqual(a.result.history);
  });

  it("stops at a batch boundary with a checkpoint and resumes bit-identically", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tipi-replicas-"));
    const straight = await run(2);
    const controller = new AbortController();
    let seen = 0;
    await expect(
      run(2, {
        checkpoint: { dir },
        signal: controller.signal,
        emit: (e) => {
          if (e.type === "metric" && ++seen === 3) controller.abort(new Error("stop"));
        },
      }),
    ).rejects.toThrow("stop");
    const resumed = await run(2, { checkpoint: { dir }, resume: true });
    expect(resumed.result.resumedFromStep).toBe(6);
    expect(Buffer.from(resumed.weights.buffer).equals(Buffer.from(straight.weights.buffer))).toBe(
      true,
    );
    expect(resumed.result.history).toEqual(straight.result.history);
    // Resuming that checkpoint with another replica count works, and says what it costs.
    const other = await run(1, { checkpoint: { dir }, resume: true });
    expect(
      other.events.some(
        (e) => e.type === "log" && e.level === "warn" && e.message.includes("trained with 2"),
      ),
    ).toBe(true);
  });
});

describe("train() with the batch thread", () => {
  it("trains to the same bits as with batches built on the training thread", async () => {
    const data = blobs(48, 100, 2);
    const run = async (batchThread: boolean) => {
      const model = smallCnn({ inputShape: [10, 10, 1], numClasses: 2, seed: 2 });
      await train({
        model,
        train: data,
        epochs: 1,
        batchSize: 16,
        augment: composeAugmentations(flipHorizontal(), randomCrop({ padding: 1 })),
        batchThread,
      });
      return flatWeights(model);
    };
    const [threaded, inline] = [await run(true), await run(false)];
    expect(Buffer.from(threaded.buffer).equals(Buffer.from(inline.buffer))).toBe(true);
  });
});

describe("resolveWorkers", () => {
  it("auto: one a core, at most one per 16 samples, 1 where the backend threads itself", () => {
    const auto = (batchSize: number, cores: number, backend = "wasm") =>
      resolveWorkers("auto", { batchSize, backend, cores });
    expect(auto(64, 2)).toBe(2);
    expect(auto(64, 16)).toBe(4);
    expect(auto(16, 8)).toBe(1);
    expect(auto(64, 1)).toBe(1);
    expect(auto(256, 8, "cpu")).toBe(8);
    expect(auto(64, 8, "tensorflow")).toBe(1);
    expect(resolveWorkers(3, { batchSize: 64, backend: "wasm" })).toBe(3);
    expect(resolveWorkers(8, { batchSize: 4, backend: "wasm" })).toBe(4);
    expect(resolveWorkers(2, { batchSize: 64, backend: "tensorflow" })).toBe(1);
    // A sweep's parallel trials get their share of the cores through TIPI_CORES.
    const shared = (env: NodeJS.ProcessEnv) =>
      resolveWorkers("auto", { batchSize: 64, backend: "wasm", env });
    expect(shared({ TIPI_CORES: "1" })).toBe(1);
    expect(shared({ TIPI_CORES: "3" })).toBe(3);
  });
});
