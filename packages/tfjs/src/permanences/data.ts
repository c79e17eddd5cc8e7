import type { Permanence } from "@tipi/core";
import {
  type Augmentation,
  composeAugmentations,
  flipHorizontal,
  gaussianNoise,
  randomCrop,
} from "../data/augment.ts";
import { type ImageDataset, splitDataset, subset } from "../data/dataset.ts";
import { loadFashionMnist } from "../data/fashion-mnist.ts";
import { loadIdx } from "../data/idx.ts";
import { loadImageFolder } from "../data/image-folder.ts";
import { z } from "../lazy/zod.ts";
import { Rng } from "../rng.ts";

/** Config schema of {@link Data}. Paths are relative to the working directory. */
export const dataParams = z.object({
  /** `fashion-mnist`: the embedded subset (or the same files in `dir`); `idx`; `folder`. */
  source: z.enum(["fashion-mnist", "idx", "folder"]).default("fashion-mnist"),
  /** fashion-mnist: a folder with the four standard files (default: the embedded subset). */
  dir: z.string().optional(),
  /** idx: the four files. */
  trainImages: z.string().optional(),
  trainLabels: z.string().optional(),
  testImages: z.string().optional(),
  testLabels: z.string().optional(),
  /** folder: one sub-folder per class. */
  trainDir: z.string().optional(),
  testDir: z.string().optional(),
  /** folder: resize to [h, w]; channels 1 or 3. */
  size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  channels: z.union([z.literal(1), z.literal(3)]).default(3),
  /** Part of the training set held out for validation. */
  valFraction: z.number().min(0).lt(1).default(0.1),
  /** Use only this many training (after the split) / test samples, drawn with `seed`. */
  trainLimit: z.number().int().positive().optional(),
  testLimit: z.number().int().positive().optional(),
  seed: z.number().int().nonnegative().default(42),
  /** Augmentation of training batches. */
  flip: z.boolean().default(false),
  cropPadding: z.number().int().nonnegative().default(0),
  noise: z.number().nonnegative().default(0),
});

export type DataOptions = z.input<typeof dataParams>;

function limit(ds: ImageDataset, n: number | undefined, seed: number): ImageDataset {
  if (n === undefined || n >= ds.length) return ds;
  const picked = Rng.fromSeed(seed).permutation(ds.length).subarray(0, n);
  return subset(
    ds,
    [...picked].sort((a, b) => a - b),
  );
}

function required(value: string | undefined, key: string, source: string): string {
  if (value === undefined) throw new Error(`data source "${source}" needs \`${key}\``);
  return value;
}

/**
 * The run's datasets (train / val / test), loaded in `initialize()` with @tipi/tfjs's
 * loaders and configured by params.
 *
 * @example
 * new Data({ source: "fashion-mnist", valFraction: 0.1, trainLimit: 512 })
 */
export class Data implements Permanence {
  static readonly params = dataParams;
  readonly options: z.output<typeof dataParams>;
  #sets: { train: ImageDataset; val: ImageDataset; test?: ImageDataset } | undefined;

  constructor(params: DataOptions = {}) {
    this.options = dataParams.parse(params);
  }

  async initialize(): Promise<void> {
    if (this.#sets) return;
    const o = this.options;
    const [full, test] = await this.#load();
    const { train, val } =
      o.valFraction > 0
        ? splitDataset(full, { valFraction: o.valFraction, seed: o.seed, stratify: true })
        : { train: full, val: subset(full, []) };
    this.#sets = {
      train: limit(train, o.trainLimit, o.seed),
      val,
      ...(test ? { test: limit(test, o.testLimit, o.seed + 1) } : {}),
    };
  }

  async #load(): Promise<[ImageDataset, ImageDataset | undefined]> {
    const o = this.options;
    switch (o.source) {
      case "fashion-mnist": {
        const dir = o.dir ? { dir: o.dir } : {};
        return Promise.all([loadFashionMnist("train", dir), loadFashionMnist("test", dir)]);
      }
      case "idx": {
        const train = loadIdx({
          images: required(o.trainImages, "trainImages", "idx"),
          labels: required(o.trainLabels, "trainLabels", "idx"),
        });
        const test =
          o.testImages && o.testLabels
            ? loadIdx({ images: o.testImages, labels: o.testLabels })
            : undefined;
        return Promise.all([train, test]);
      }
      case "folder": {
        const opts = { channels: o.channels, ...(o.size ? { size: o.size } : {}) };
        const train = loadImageFolder(required(o.trainDir, "trainDir", "folder"), opts);
        const test = o.testDir ? loadImageFolder(o.testDir, opts) : undefined;
        return Promise.all([train, test]);
      }
    }
  }

  #get(): { train: ImageDataset; val: ImageDataset; test?: ImageDataset } {
    if (!this.#sets) throw new Error("Data is not initialised: its initialize() has not run");
    return this.#sets;
  }

  get train(): ImageDataset {
    return this.#get().train;
  }

  /** The held-out validation part of the training set (empty when `valFraction` is 0). */
  get val(): ImageDataset {
    return this.#get().val;
  }

  /** The test set, when the source has one. */
  get test(): ImageDataset | undefined {
    return this.#get().test;
  }

  /** The configured training augmentation, if any. */
  get augment(): Augmentation | undefined {
    const o = this.options;
    const steps: Augmentation[] = [];
    if (o.flip) steps.push(flipHorizontal());
    if (o.cropPadding > 0) steps.push(randomCrop({ padding: o.cropPadding }));
    if (o.noise > 0) steps.push(gaussianNoise({ std: o.noise }));
    return steps.length > 0 ? composeAugmentations(...steps) : undefined;
  }

  cleanup(): void {
    this.#sets = undefined;
  }
}
