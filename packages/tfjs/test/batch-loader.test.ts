import { describe, expect, it } from "vitest";
import {
  type Augmentation,
  composeAugmentations,
  flipHorizontal,
  gaussianNoise,
  randomCrop,
} from "../src/data/augment.ts";
import { BatchLoader } from "../src/data/batch-loader.ts";
import { type Batch, type BatchSource, batches } from "../src/data/batches.ts";
import { Rng } from "../src/rng.ts";

const source: BatchSource = (() => {
  const n = 50;
  const rng = Rng.fromSeed(4);
  return {
    images: new Float32Array(n * 36).map(() => rng.next()),
    labels: new Int32Array(n).map((_, i) => i % 3),
    length: n,
    shape: [6, 6, 1] as const,
  };
})();

async function collect(stream: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of stream) out.push(batch);
  return out;
}

describe("BatchLoader", () => {
  it("yields batches() bit for bit, augmentation and a mid-epoch start included", async () => {
    const augment = composeAugmentations(
      flipHorizontal(),
      randomCrop({ padding: 1 }),
      gaussianNoise({ std: 0.1 }),
    );
    const order = Rng.fromSeed(9).permutation(source.length);
    const options = { augment, seed: 77, startBatch: 2 };
    const loader = await BatchLoader.start(source);
    try {
      const threaded = await collect(loader.batches(order, 8, options));
      const inline = await collect(batches(source, order, 8, options));
      expect(threaded.map((b) => b.index)).toEqual([2, 3, 4, 5, 6]);
      expect(threaded).toEqual(inline);
      // A second epoch on the same thread, stopped early, then a third runs to its end.
      for await (const batch of loader.batches(order, 8)) if (batch.index === 1) break;
      expect(await collect(loader.batches(order, 16))).toEqual(
        await collect(batches(source, order, 16)),
      );
    } finally {
      await loader.close();
    }
  });

  it("takes tipi's augmentations only: a function of one's own stays on its thread", () => {
    const own: Augmentation = (xs) => xs;
    expect(BatchLoader.canLoad(undefined)).toBe(true);
    expect(BatchLoader.canLoad(randomCrop({ padding: 2 }))).toBe(true);
    expect(BatchLoader.canLoad(composeAugmentations(flipHorizontal(), own))).toBe(false);
  });
});
