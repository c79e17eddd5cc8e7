import { Rng, shuffleWith } from "../rng.ts";
import { DatasetError } from "./errors.ts";
import { affineOf, type NormalizeOptions, normalizeInto } from "./normalize.ts";

/**
 * Images and labels held in memory, ready for batching. `images` is NHWC, already
 * normalised; item `i` occupies `images[i*h*w*c … (i+1)*h*w*c)`.
 */
export interface ImageDataset {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly shape: readonly [h: number, w: number, c: number];
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly length: number;
}

/** Anything with `shape` and `dataSync()`: a tf.Tensor, without importing tfjs here. */
export interface TensorLike {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}

export interface FromArraysOptions {
  /**
   * Pixels, NHWC. A `Float32Array` (or float tensor) is taken as already normalised;
   * `Uint8Array`/`Uint8ClampedArray`/`number[]` are raw 0–255 values, normalised with
   * `normalize`.
   */
  readonly images: Float32Array | Uint8Array | Uint8ClampedArray | readonly number[] | TensorLike;
  readonly labels: Int32Array | Uint8Array | readonly number[] | TensorLike;
  /** `[h, w, c]`; taken from a tensor's shape when omitted. */
  readonly shape?: readonly [number, number, number];
  readonly numClasses?: number;
  readonly classNames?: readonly string[];
  readonly normalize?: NormalizeOptions;
}

/**
 * Builds an {@link ImageDataset} from in-memory arrays or tensors.
 * @example
 * const ds = fromArrays({ images: tf.randomUniform([100, 8, 8, 1]), labels: tf.zeros([100], "int32") });
 */
export function fromArrays(options: FromArraysOptions): ImageDataset {
  const shape = options.shape ?? shapeFromTensor(options.images);
  const itemSize = shape[0] * shape[1] * shape[2];
  if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new DatasetError(`fromArrays: shape must be 3 positive integers, got [${shape}]`);
  }
  const rawImages = isTensorLike(options.images) ? options.images.dataSync() : options.images;
  const labels = Int32Array.from(
    isTensorLike(options.labels) ? options.labels.dataSync() : options.labels,
  );
  if (rawImages.length !== labels.length * itemSize) {
    throw new DatasetError(
      `fromArrays: ${rawImages.length} pixel values do not make ${labels.length} images of [${shape}] (${labels.length * itemSize} values)`,
    );
  }
  let images: Float32Array;
  if (rawImages instanceof Float32Array) {
    images = rawImages;
  } else {
    images = new Float32Array(rawImages.length);
    normalizeInto(rawImages, shape[2], affineOf(options.normalize, shape[2]), images);
  }
  const numClasses = checkLabels(
    labels,
    options.numClasses ?? options.classNames?.length,
    "fromArrays",
  );
  return makeDataset(images, labels, shape, numClasses, options.classNames);
}

function isTensorLike(value: unknown): value is TensorLike {
  return typeof value === "object" && value !== null && "dataSync" in value && "shape" in value;
}

function shapeFromTensor(images: FromArraysOptions["images"]): [number, number, number] {
  if (!isTensorLike(images)) throw new DatasetError("fromArrays: `shape` is required for arrays");
  const s = images.shape;
  if (s.length === 4) return [s[1]!, s[2]!, s[3]!];
  if (s.length === 3) return [s[1]!, s[2]!, 1];
  throw new DatasetError(`fromArrays: images tensor must be [N,H,W,C] or [N,H,W], got [${s}]`);
}

/**
 * Checks labels are integers in range; returns the class count (given, or max + 1).
 * @internal
 */
export function checkLabels(
  labels: Int32Array,
  numClasses: number | undefined,
  source: string,
  file?: string,
): number {
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label < 0)
      throw new DatasetError(`${source}: label ${label} at index ${i} is negative`, { file });
    if (label > max) max = label;
  }
  if (numClasses === undefined) return max + 1;
  if (max >= numClasses) {
    throw new DatasetError(`${source}: label ${max} is out of range for ${numClasses} classes`, {
      file,
    });
  }
  return numClasses;
}

/** @internal */
export function makeDataset(
  images: Float32Array,
  labels: Int32Array,
  shape: readonly [number, number, number],
  numClasses: number,
  classNames?: readonly string[],
): ImageDataset {
  return {
    images,
    labels,
    shape: [shape[0], shape[1], shape[2]],
    numClasses,
    length: labels.length,
    ...(classNames === undefined ? {} : { classNames: [...classNames] }),
  };
}

/**
 * A new dataset holding the items at `indices`, in that order (copied).
 * @example
 * const first100 = subset(train, Array.from({ length: 100 }, (_, i) => i));
 */
export function subset(ds: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const itemSize = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const images = new Float32Array(indices.length * itemSize);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= ds.length) {
      throw new DatasetError(`subset: index ${i} is out of range for ${ds.length} items`);
    }
    images.set(ds.images.subarray(i * itemSize, (i + 1) * itemSize), k * itemSize);
    labels[k] = ds.labels[i]!;
  }
  return makeDataset(images, labels, ds.shape, ds.numClasses, ds.classNames);
}

export interface SplitOptions {
  /** Fraction of items that go to `val`, in [0, 1). */
  readonly valFraction: number;
  readonly seed: number;
  /** Keep each class's proportion in both parts (default false). */
  readonly stratify?: boolean;
}

/**
 * Splits a dataset into `train` and `val` with a seeded shuffle; the same seed gives the
 * same split. Each part keeps the original item order.
 * @example
 * const { train, val } = splitDataset(full, { valFraction: 0.1, seed: 42, stratify: true });
 */
export function splitDataset(
  ds: ImageDataset,
  options: SplitOptions,
): { train: ImageDataset; val: ImageDataset } {
  const { valFraction, seed } = options;
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new DatasetError(`splitDataset: valFraction must be in [0, 1), got ${valFraction}`);
  }
  const random = Rng.fromSeed(seed).random;
  const groups: number[][] = options.stratify
    ? Array.from({ length: ds.numClasses }, () => [])
    : [[]];
  for (let i = 0; i < ds.length; i++) groups[options.stratify ? ds.labels[i]! : 0]!.push(i);
  const valCounts = allocate(
    groups.map((g) => g.length),
    Math.round(ds.length * valFraction),
  );
  const val: number[] = [];
  const train: number[] = [];
  for (const [g, group] of groups.entries()) {
    shuffleWith(group, random);
    const valCount = valCounts[g]!;
    for (let k = 0; k < group.length; k++) (k < valCount ? val : train).push(group[k]!);
  }
  const byIndex = (a: number, b: number) => a - b;
  return { train: subset(ds, train.sort(byIndex)), val: subset(ds, val.sort(byIndex)) };
}

/** Splits `total` across groups in proportion to their sizes (largest remainder), summing exactly. */
function allocate(sizes: readonly number[], total: number): number[] {
  const all = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((n) => (all === 0 ? 0 : (n * total) / all));
  const counts = exact.map(Math.floor);
  const byRemainder = exact
    .map((e, g) => ({ g, r: e - Math.floor(e) }))
    .sort((a, b) => b.r - a.r || a.g - b.g);
  let missing = total - counts.reduce((a, b) => a + b, 0);
  for (const { g } of byRemainder) {
    if (missing-- <= 0) break;
    counts[g]! += 1;
  }
  return counts;
}

/**
 * A copy of the dataset with `(x - mean[c]) / std[c]` applied, e.g. with the training
 * set's {@link channelStats}.
 */
export function standardize(
  ds: ImageDataset,
  stats: { mean: number | readonly number[]; std: number | readonly number[] },
): ImageDataset {
  const affine = affineOf({ scale: false, mean: stats.mean, std: stats.std }, ds.shape[2]);
  const images = new Float32Array(ds.images.length);
  normalizeInto(ds.images, ds.shape[2], affine, images);
  return makeDataset(images, Int32Array.from(ds.labels), ds.shape, ds.numClasses, ds.classNames);
}
