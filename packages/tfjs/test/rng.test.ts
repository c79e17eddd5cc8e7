import { describe, expect, it } from "vitest";
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
