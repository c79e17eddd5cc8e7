import { describe, expect, it } from "vitest";
import {
  type BatchShape,
  composeAugmentations,
  flipHorizontal,
  gaussianNoise,
  randomCrop,
  seededRandom,
} from "../src/data/index.ts";

const shape: BatchShape = [4, 5, 6, 3];
const batch = () => Float32Array.from({ length: 4 * 5 * 6 * 3 }, (_, i) => i);
const at = (
  xs: Float32Array,
  [, h, w, c]: BatchShape,
  n: number,
  y: number,
  x: number,
  k: number,
) => xs[((n * h + y) * w + x) * c + k]!;

describe("flipHorizontal", () => {
  it("mirrors columns and keeps channel order", () => {
    const xs = batch();
    const out = flipHorizontal({ probability: 1 })(xs, shape, seededRandom(1));
    for (let x = 0; x < 6; x++) {
      for (let k = 0; k < 3; k++)
        expect(at(out, shape, 2, 3, x, k)).toBe(at(xs, shape, 2, 3, 5 - x, k));
    }
  });

  it("flipping twice is the identity, and the input is left untouched", () => {
    const xs = batch();
    const flip = flipHorizontal({ probability: 1 });
    const twice = flip(flip(xs, shape, seededRandom(1)), shape, seededRandom(2));
    expect(twice).toEqual(xs);
    expect(xs).toEqual(batch());
    expect(flip(xs, shape, seededRandom(1))).not.toEqual(xs);
  });

  it("with probability 0.5 flips about half the images, reproducibly", () => {
    const xs = batch();
    const flip = flipHorizontal();
    expect(flip(xs, shape, seededRandom(7))).toEqual(flip(xs, shape, seededRandom(7)));
    let flipped = 0;
    for (let seed = 0; seed < 50; seed++) {
      const out = flip(xs, shape, seededRandom(seed));
      for (let n = 0; n < 4; n++)
        if (at(out, shape, n, 0, 0, 0) !== at(xs, shape, n, 0, 0, 0)) flipped++;
    }
    expect(flipped).toBeGreaterThan(70);
    expect(flipped).toBeLessThan(130);
  });
});

describe("randomCrop", () => {
  it("keeps the shape, and padding 0 is the identity", () => {
    const xs = batch();
    expect(randomCrop({ padding: 0 })(xs, shape, seededRandom(1))).toEqual(xs);
    expect(randomCrop({ padding: 2 })(xs, shape, seededRandom(1)).length).toBe(xs.length);
  });

  it("shifts each image by at most `padding`, filling the border", () => {
    const xs = batch().map((v) => v + 1); // no zeros in the input
    const out = randomCrop({ padding: 2, fill: 0 })(xs, shape, seededRandom(3));
    let shifted = 0;
    for (let n = 0; n < 4; n++) {
      // Find the shift from where the input's top-left pixel landed (or from fill rows/cols).
      const matches: [number, number][] = [];
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          let ok = true;
          for (let y = 0; y < 5 && ok; y++) {
            for (let x = 0; x < 6 && ok; x++) {
              for (let k = 0; k < 3 && ok; k++) {
                const sy = y + dy;
                const sx = x + dx;
                const inside = sy >= 0 && sy < 5 && sx >= 0 && sx < 6;
                ok = at(out, shape, n, y, x, k) === (inside ? at(xs, shape, n, sy, sx, k) : 0);
              }
            }
          }
          if (ok) matches.push([dy, dx]);
        }
      }
      expect(matches).toHaveLength(1);
      if (matches[0]![0] !== 0 || matches[0]![1] !== 0) shifted++;
    }
    expect(shifted).toBeGreaterThan(0);
  });
});

describe("gaussianNoise", () => {
  it("is reproducible with the same seed and differs with another", () => {
    const xs = new Float32Array(2 * 16 * 16 * 1).fill(0.5);
    const noise = gaussianNoise({ std: 0.1 });
    const s: BatchShape = [2, 16, 16, 1];
    expect(noise(xs, s, seededRandom(5))).toEqual(noise(xs, s, seededRandom(5)));
    expect(noise(xs, s, seededRandom(5))).not.toEqual(noise(xs, s, seededRandom(6)));
  });

  it("has the requested spread and respects clip", () => {
    const xs = new Float32Array(64 * 28 * 28).fill(0.5);
    const out = gaussianNoise({ std: 0.1 })(xs, [64, 28, 28, 1], seededRandom(9));
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    const std = Math.sqrt(out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(std).toBeCloseTo(0.1, 2);
    const clipped = gaussianNoise({ std: 1, clip: [0, 1] })(xs, [64, 28, 28, 1], seededRandom(9));
    expect(Math.min(...clipped)).toBe(0);
    expect(Math.max(...clipped)).toBe(1);
  });
});

describe("composeAugmentations", () => {
  it("applies steps left to right with one random stream", () => {
    const xs = batch();
    const flip = flipHorizontal({ probability: 1 });
    const crop = randomCrop({ padding: 1 });
    const composed = composeAugmentations(flip, crop)(xs, shape, seededRandom(4));
    const random = seededRandom(4);
    expect(composed).toEqual(crop(flip(xs, shape, random), shape, random));
    expect(composeAugmentations()(xs, shape, seededRandom(1))).not.toBe(xs);
  });
});
