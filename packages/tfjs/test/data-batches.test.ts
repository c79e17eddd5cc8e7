import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { describe, expect, it } from "vitest";
import {
  type Augmentation,
  type Batch,
  batchCount,
  batches,
  DatasetError,
  flipHorizontal,
  fromArrays,
  gaussianNoise,
  type ImageDataset,
  randomCrop,
  seededRandom,
  shuffledOrder,
  splitDataset,
  subset,
} from "../src/data/index.ts";

/** 103 images of 4×4×1; every pixel of image i holds i, label i % 5. */
function numbered(count = 103): ImageDataset {
  const images = new Float32Array(count * 16);
  for (let i = 0; i < count; i++) images.fill(i, i * 16, (i + 1) * 16);
  return fromArrays({
    images,
    labels: Array.from({ length: count }, (_, i) => i % 5),
    shape: [4, 4, 1],
  });
}

async function collect(iterable: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of iterable) out.push(b);
  return out;
}

describe("batches", () => {
  it("covers every index exactly once per epoch, in order, keeping the last partial batch", async () => {
    const ds = numbered();
    const order = shuffledOrder(ds.length, seededRandom(1));
    const got = await collect(batches(ds, order, 10));
    expect(got.map((b) => b.size)).toEqual([...new Array(10).fill(10), 3]);
    expect(got).toHaveLength(batchCount(103, 10));
    const seen = got.flatMap((b) => Array.from({ length: b.size }, (_, k) => b.xs[k * 16]!));
    expect(seen).toEqual([...order]);
    const labels = got.flatMap((b) => [...b.ys]);
    expect(labels).toEqual([...order].map((i) => i % 5));
  });

  it("dropLast drops the partial batch", async () => {
    const got = await collect(
      batches(numbered(), shuffledOrder(103, seededRandom(1)), 10, { dropLast: true }),
    );
    expect(got.map((b) => b.size)).toEqual(new Array(10).fill(10));
    expect(batchCount(103, 10, true)).toBe(10);
  });

  it("is deterministic for the same order and random, whatever the prefetch depth", async () => {
    const ds = fromArrays({
      images: Float32Array.from({ length: 50 * 16 }, (_, i) => (i % 7) / 7),
      labels: Array.from({ length: 50 }, (_, i) => i % 3),
      shape: [4, 4, 1],
    });
    const order = shuffledOrder(ds.length, seededRandom(2));
    const augment = [flipHorizontal(), randomCrop({ padding: 1 }), gaussianNoise({ std: 0.1 })];
    const run = (prefetch: number, seed: number) =>
      collect(batches(ds, order, 8, { augment, random: seededRandom(seed), prefetch }));
    const a = await run(0, 3);
    expect(await run(4, 3)).toEqual(a);
    expect(await run(2, 4)).not.toEqual(a);
  });

  it("with a seed, resuming at startBatch gives the same batches as an uninterrupted epoch", async () => {
    const ds = numbered();
    const order = shuffledOrder(ds.length, seededRandom(5));
    const augment = gaussianNoise({ std: 0.5 });
    const full = await collect(batches(ds, order, 16, { augment, seed: 11 }));
    const resumed = await collect(batches(ds, order, 16, { augment, seed: 11, startBatch: 4 }));
    expect(resumed).toEqual(full.slice(4));
  });

  it("prepares the next batches ahead of the consumer", async () => {
    const built: number[] = [];
    const tracking: Augmentation = (xs) => {
      built.push(xs[0]!);
      return xs.slice();
    };
    const iterator = batches(
      numbered(),
      Int32Array.from({ length: 103 }, (_, i) => i),
      10,
      {
        augment: tracking,
        random: Math.random,
        prefetch: 3,
      },
    )[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setImmediate(resolve));
    expect(built).toEqual([0, 10, 20, 30]); // batch 0 handed out, 1–3 ready
    await iterator.next();
    await iterator.return?.(undefined); // batch 4 was scheduled: it must not be built now
    await new Promise((resolve) => setImmediate(resolve));
    expect(built).toEqual([0, 10, 20, 30]);
  });

  it("gives each batch its own arrays", async () => {
    const [a, b] = await collect(batches(numbered(), [0, 1, 2, 3], 2));
    expect(a!.xs.buffer).not.toBe(b!.xs.buffer);
  });

  it("rejects bad arguments with clear errors", async () => {
    const ds = numbered();
    await expect(collect(batches(ds, [0, 200], 2))).rejects.toThrow(
      /order\[1\] = 200 is out of range/,
    );
    await expect(collect(batches(ds, [0], 0))).rejects.toThrow(DatasetError);
    await expect(collect(batches(ds, [0], 1, { augment: flipHorizontal() }))).rejects.toThrow(
      /needs `random` or `seed`/,
    );
    const flat = { images: ds.images, labels: ds.labels, length: ds.length };
    await expect(
      collect(batches(flat, [0], 1, { augment: flipHorizontal(), seed: 1 })),
    ).rejects.toThrow(/the source has no `shape`/);
  });

  it("batches flat samples (no shape) as it does images", async () => {
    const ds = numbered();
    const flat = { images: ds.images, labels: ds.labels, length: ds.length };
    const [a] = await collect(batches(flat, [3, 1], 2));
    const [b] = await collect(batches(ds, [3, 1], 2));
    expect(a!.xs).toEqual(b!.xs);
    expect(a!.ys).toEqual(b!.ys);
  });

  it("stops when the signal aborts", async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = (async () => {
      for await (const b of batches(numbered(), [0, 1, 2, 3, 4, 5], 2, {
        signal: controller.signal,
      })) {
        seen.push(b.index);
        controller.abort(new Error("stop"));
      }
    })();
    await expect(run).rejects.toThrow("stop");
    expect(seen).toEqual([0]);
  });
});

describe("splitDataset and subset", () => {
  it("splits reproducibly and disjointly, and stratified keeps class proportions", () => {
    const ds = numbered(1000);
    const a = splitDataset(ds, { valFraction: 0.2, seed: 1, stratify: true });
    const b = splitDataset(ds, { valFraction: 0.2, seed: 1, stratify: true });
    expect(a.val.images).toEqual(b.val.images);
    expect(a.train.length + a.val.length).toBe(1000);
    const ids = (d: ImageDataset) => Array.from({ length: d.length }, (_, i) => d.images[i * 16]!);
    const all = new Set([...ids(a.train), ...ids(a.val)]);
    expect(all.size).toBe(1000);
    const perClass = new Array<number>(5).fill(0);
    for (const label of a.val.labels) perClass[label]! += 1;
    expect(perClass).toEqual([40, 40, 40, 40, 40]);
    const other = splitDataset(ds, { valFraction: 0.2, seed: 2 });
    expect(ids(other.val)).not.toEqual(ids(a.val));
    expect(other.val.length).toBe(200);
  });

  it("a stratified split of uneven classes still has exactly round(n * valFraction) items", () => {
    const { train, val } = splitDataset(numbered(1003), {
      valFraction: 0.1,
      seed: 3,
      stratify: true,
    });
    expect([train.length, val.length]).toEqual([903, 100]);
  });

  it("subset copies the chosen items in order", () => {
    const s = subset(numbered(), [7, 3]);
    expect([s.images[0], s.images[16], ...s.labels]).toEqual([7, 3, 2, 3]);
    expect(() => subset(numbered(), [103])).toThrow(/index 103 is out of range for 103 items/);
  });
});

describe("fromArrays", () => {
  it("takes tensors, with the shape from the tensor", () => {
    const images = tf.tensor4d(
      Float32Array.from({ length: 2 * 3 * 3 * 2 }, (_, i) => i / 36),
      [2, 3, 3, 2],
    );
    const labels = tf.tensor1d([1, 0], "int32");
    const ds = fromArrays({ images, labels });
    expect(ds.shape).toEqual([3, 3, 2]);
    expect(ds.length).toBe(2);
    expect(ds.numClasses).toBe(2);
    expect(ds.images[35]).toBeCloseTo(35 / 36, 6);
    tf.dispose([images, labels]);
  });

  it("normalises raw bytes and checks sizes", () => {
    const ds = fromArrays({
      images: Uint8Array.from([0, 255, 51, 102]),
      labels: [0],
      shape: [1, 2, 2],
      normalize: { mean: [0.5, 0.1], std: [0.5, 0.2] },
    });
    expect([...ds.images].map((v) => Number(v.toFixed(5)))).toEqual([-1, 4.5, -0.6, 1.5]);
    expect(() => fromArrays({ images: new Uint8Array(5), labels: [0], shape: [2, 2, 1] })).toThrow(
      /5 pixel values do not make 1 images/,
    );
  });
});
