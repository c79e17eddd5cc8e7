import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DatasetError,
  encodeIdx,
  FASHION_MNIST_CLASSES,
  loadFashionMnist,
  loadIdx,
} from "../src/data/index.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tipi-idx-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** 3 images of 2×2 with pixel value = 10*image + position, labels 2, 0, 1. */
const pixels = Uint8Array.from({ length: 12 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4));
const labels = Uint8Array.from([2, 0, 1]);

async function writePair(name: string, gz: boolean) {
  const pack = (b: Uint8Array) => (gz ? gzipSync(b) : b);
  const images = join(dir, `${name}-images`);
  const labelFile = join(dir, `${name}-labels`);
  await writeFile(images, pack(encodeIdx(pixels, [3, 2, 2])));
  await writeFile(labelFile, pack(encodeIdx(labels, [3])));
  return { images, labels: labelFile };
}

async function expectDatasetError(promise: Promise<unknown>, file: string, pattern: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  const message = (error as DatasetError).message;
  expect(message).toContain(file);
  expect(message).toMatch(pattern);
  expect(message).not.toMatch(/\n\s+at /);
  expect((error as DatasetError).file).toBe(file);
}

describe("loadIdx", () => {
  it.each([true, false])("reads gzipped=%s IDX files, scaling pixels to [0, 1]", async (gz) => {
    const ds = await loadIdx(await writePair(`pair-${gz}`, gz));
    expect(ds.length).toBe(3);
    expect(ds.shape).toEqual([2, 2, 1]);
    expect(ds.numClasses).toBe(3);
    expect([...ds.labels]).toEqual([2, 0, 1]);
    expect(ds.images[5]).toBeCloseTo(11 / 255, 6);
    expect(ds.images.length).toBe(12);
  });

  it("applies mean/std normalisation and takes class names", async () => {
    const ds = await loadIdx(await writePair("norm", true), {
      normalize: { scale: false, mean: 10, std: 2 },
      classNames: ["a", "b", "c", "d"],
    });
    expect(ds.images[5]).toBeCloseTo((11 - 10) / 2, 6);
    expect(ds.numClasses).toBe(4);
    expect(ds.classNames).toEqual(["a", "b", "c", "d"]);
  });

  it("reads 4-D [N, H, W, C] image files", async () => {
    const images = join(dir, "rgb-images");
    await writeFile(images, encodeIdx(pixels, [1, 2, 2, 3]));
    const labelFile = join(dir, "rgb-labels");
    await writeFile(labelFile, encodeIdx(Uint8Array.from([0]), [1]));
    const ds = await loadIdx({ images, labels: labelFile });
    expect(ds.shape).toEqual([2, 2, 3]);
  });

  describe("rejects bad files with an error naming the file", () => {
    const good = () => encodeIdx(pixels, [3, 2, 2]);
    const cases: [string, () => Uint8Array, RegExp][] = [
      [
        "bad magic",
        () => Uint8Array.from([0x50, 0x4b, 3, 4, ...good().subarray(4)]),
        /not an IDX file \(magic number 0x504b0304\)/,
      ],
      [
        "float data",
        () => Uint8Array.from([0, 0, 0x0d, ...good().subarray(3)]),
        /float; only unsigned byte/,
      ],
      ["truncated body", () => good().subarray(0, good().length - 1), /needs 12 \(truncated\)/],
      ["trailing data", () => Uint8Array.from([...good(), 7]), /trailing data/],
      ["truncated header", () => good().subarray(0, 10), /header truncated/],
      ["empty file", () => new Uint8Array(0), /too short/],
    ];
    it.each(cases)("%s", async (name, bytes, pattern) => {
      const { labels: labelFile } = await writePair(`bad-${name}`, false);
      const images = join(dir, `bad-${name}-images.gz`);
      await writeFile(images, gzipSync(bytes()));
      await expectDatasetError(loadIdx({ images, labels: labelFile }), images, pattern);
    });

    it("corrupt gzip", async () => {
      const { labels: labelFile } = await writePair("gzip", false);
      const images = join(dir, "corrupt.gz");
      await writeFile(images, gzipSync(good()).subarray(0, 30));
      await expectDatasetError(loadIdx({ images, labels: labelFile }), images, /corrupt gzip/);
    });

    it("missing file", async () => {
      const { labels: labelFile } = await writePair("missing", false);
      const images = join(dir, "does-not-exist.gz");
      await expectDatasetError(
        loadIdx({ images, labels: labelFile }),
        images,
        /cannot read.*ENOENT/,
      );
    });

    it("label count differing from image count", async () => {
      const { images } = await writePair("count", false);
      const labelFile = join(dir, "count-labels-short");
      await writeFile(labelFile, encodeIdx(Uint8Array.from([1, 2]), [2]));
      await expectDatasetError(
        loadIdx({ images, labels: labelFile }),
        labelFile,
        /holds 2 labels but .* holds 3 images/,
      );
    });

    it("labels out of range for the given classes", async () => {
      const files = await writePair("range", false);
      await expectDatasetError(
        loadIdx(files, { numClasses: 2 }),
        files.labels,
        /label 2 is out of range for 2 classes/,
      );
    });
  });
});

describe("the shipped Fashion-MNIST subset", () => {
  it.each([
    ["train", 12_000, [1122, 1220, 1201, 1212, 1181, 1204, 1244, 1192, 1195, 1229]],
    ["test", 2_000, [200, 203, 214, 190, 219, 195, 197, 200, 194, 188]],
  ] as const)("%s split loads with no download", async (split, length, balance) => {
    const ds = await loadFashionMnist(split);
    expect(ds.length).toBe(length);
    expect(ds.shape).toEqual([28, 28, 1]);
    expect(ds.images.length).toBe(length * 784);
    expect(ds.classNames).toEqual(FASHION_MNIST_CLASSES);
    const counts = new Array<number>(10).fill(0);
    for (const label of ds.labels) counts[label]! += 1;
    expect(counts).toEqual(balance);
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of ds.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
  });
});
