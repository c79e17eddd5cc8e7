import { describe, expect, it } from "vitest";
import { batchRandom, gatherBatch } from "../src/data/batches.ts";
import { seededRandom, shuffledOrder } from "../src/data/random.ts";
import { deriveSeed, Rng } from "../src/rng.ts";

describe("Rng", () => {
  it("repeats a sequence for the same seed and differs for another", () => {
    const a = Rng.fromSeed(1);
    const b = Rng.fromSeed(1);
    const c = Rng.fromSeed(2);
    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it("continues exactly from a serialised state", () => {
    const a = Rng.fromSeed(99);
    for (let i = 0; i < 10; i++) a.next();
    const state = JSON.parse(JSON.stringify(a.state()));
    const b = Rng.fromState(state);
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(
      Array.from({ length: 20 }, () => a.next()),
    );
  });

  it("rejects a malformed state", () => {
    expect(() => Rng.fromState([1, 2, 3] as unknown as [number, number, number, number])).toThrow(
      /invalid RNG state/,
    );
  });

  it("gives floats in [0, 1) with a flat histogram and valid permutations", () => {
    const rng = Rng.fromSeed(5);
    const bins = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = rng.next();
      if (x < 0 || x >= 1) outside++;
      else bins[Math.floor(x * 10)]!++;
    }
    expect(outside).toBe(0);
    for (const count of bins) expect(Math.abs(count - 10_000)).toBeLessThan(500);
    const perm = rng.permutation(1000);
    expect([...perm].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...perm]).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it("derives distinct, stable seeds from parts", () => {
    expect(deriveSeed(1, 2, 3)).toBe(deriveSeed(1, 2, 3));
    expect(
      new Set([deriveSeed(1, 2, 3), deriveSeed(1, 3, 2), deriveSeed(1, 2), deriveSeed(2, 2, 3)])
        .size,
    ).toBe(4);
  });
});

describe("the data module's randomness is Rng's", () => {
  it("seededRandom and shuffledOrder follow Rng.fromSeed exactly", () => {
    const random = seededRandom(7);
    const rng = Rng.fromSeed(7);
    expect(Array.from({ length: 50 }, random)).toEqual(
      Array.from({ length: 50 }, () => rng.next()),
    );
    expect(shuffledOrder(500, seededRandom(3))).toEqual(Rng.fromSeed(3).permutation(500));
  });

  it("batchRandom(seed, k) is the stream derived from (seed, k), as the train loop augments with", () => {
    const expected = Rng.fromSeed(deriveSeed(11, 4));
    const random = batchRandom(11, 4);
    expect(Array.from({ length: 20 }, random)).toEqual(
      Array.from({ length: 20 }, () => expected.next()),
    );
    expect(batchRandom(11, 5)()).not.toBe(batchRandom(11, 4)());
  });
});

describe("gatherBatch", () => {
  it("copies samples in order, flat or image-shaped, with a short last batch", () => {
    const data = {
      images: Float32Array.from({ length: 12 }, (_, i) => i),
      labels: Int32Array.of(0, 1, 2, 3),
      length: 4,
    };
    const first = gatherBatch(data, [3, 1, 0, 2], 0, 3);
    expect(Array.from(first.xs)).toEqual([9, 10, 11, 3, 4, 5, 0, 1, 2]);
    expect(Array.from(first.ys)).toEqual([3, 1, 0]);
    const last = gatherBatch(data, [3, 1, 0, 2], 3, 3);
    expect(last.size).toBe(1);
    expect(Array.from(last.xs)).toEqual([6, 7, 8]);
    last.xs[0] = -1;
    expect(data.images[6]).toBe(6); // fresh arrays, never views of the dataset
  });
});
