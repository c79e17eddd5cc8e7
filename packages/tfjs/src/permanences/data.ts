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
import { parseOptions } from "./parse-options.ts";

/**
 * Config schema of {@link Data}. Paths are relative to the TOML file that sets them (`tipi`
 * resolves them, see `pathParams`), else to the working directory. Each key's
 * description is what docs/config.md's `Data` table shows.
 */
export const dataParams = z.object({
  source: z
    .enum(["fashion-mnist", "idx", "folder"])
    .default("fashion-mnist")
    .describe(
      "Where the images come from: `fashion-mnist`, the 12,000 / 2,000 subset that ships as `@tipi/fashion-mnist` (or the same files in `dir`); `idx`, IDX files (`trainImages`, `trainLabels`, `testImages`, `testLabels`); `folder`, one sub-folder of images per class (`trainDir`, `testDir`).",
    ),
  dir: z
    .string()
    .optional()
    .describe(
      'With `source = "fashion-mnist"`: a folder holding the four standard files (`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`, `t10k-…`), e.g. the full 60,000 / 10,000 set, instead of the embedded subset.',
    ),
  trainImages: z.string().optional().describe('With `source = "idx"`: the training images.'),
  trainLabels: z.string().optional().describe('With `source = "idx"`: the training labels.'),
  testImages: z
    .string()
    .optional()
    .describe('With `source = "idx"`: the test images (no test set without them).'),
  testLabels: z.string().optional().describe('With `source = "idx"`: the test labels.'),
  trainDir: z
    .string()
    .optional()
    .describe(
      'With `source = "folder"`: the training images, one sub-folder per class (its name is the class name).',
    ),
  testDir: z
    .string()
    .optional()
    .describe('With `source = "folder"`: the test images, laid out like `trainDir`.'),
  size: z
    .tuple([z.number().int().positive(), z.number().int().positive()])
    .optional()
    .describe('With `source = "folder"`: resize every image to `[height, width]`.'),
  channels: z
    .union([z.literal(1), z.literal(3)])
    .default(3)
    .describe('With `source = "folder"`: 1 (grey) or 3 (RGB).'),
  valFraction: z
    .number()
    .min(0)
    .lt(1)
    .default(0.1)
    .describe(
      "Part of the training set held out for validation (stratified by class, drawn with `seed`), before `trainLimit` applies; 0 for none.",
    ),
  trainLimit: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "Train on only this many images, drawn with `seed` from what is left after the validation split (the validation set keeps its size).",
    ),
  testLimit: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Evaluate on only this many test images, drawn with `seed`."),
  seed: z
    .number()
    .int()
    .nonnegative()
    .default(42)
    .describe("Seed of the validation split and of the `trainLimit` / `testLimit` draws."),
  flip: z
    .boolean()
    .default(false)
    .describe("Augmentation: flip training images horizontally at random."),
  cropPadding: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe(
      "Augmentation: pad training images by this many pixels and crop them back at a random offset.",
    ),
  noise: z
    .number()
    .nonnegative()
    .default(0)
    .describe("Augmentation: add Gaussian noise of this standard deviation to training images."),
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
 * The run's datasets (train / val / test), loaded in `initialize()`: the embedded Fashion-MNIST
 * subset, IDX files or image folders, with a validation split, optional limits and training
 * augmentation. Its keys are listed in docs/config.md (`Data`).
 *
 * @example
 * new Data({ source: "fashion-mnist", valFraction: 0.1, trainLimit: 512 })
 */
export class Data implements Permanence {
  static readonly params = dataParams;
  /** Params that are paths: a TOML file's are resolved from its folder by `tipi`. */
  static readonly pathParams = [
    "dir",
    "trainImages",
    "trainLabels",
    "testImages",
    "testLabels",
    "trainDir",
    "testDir",
  ] as const;
  readonly options: z.output<typeof dataParams>;
  #sets: { train: ImageDataset; val: ImageDataset; test?: ImageDataset } | undefined;

  constructor(params: DataOptions = {}) {
    this.options = parseOptions("Data", dataParams, params);
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
