import { deriveSeed, Rng } from "../rng.ts";
import { type Augmentation, composeAugmentations } from "./augment.ts";
import { DatasetError } from "./errors.ts";
import type { Random } from "./random.ts";

/** What gathering needs of a dataset: `length` samples stored row-major in `images`. */
export interface LabelledSamples {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly length: number;
}

/**
 * What {@link batches} iterates over: an `ImageDataset`, or flat samples (an MLP's inputs)
 * without `shape`, which then cannot be augmented.
 */
export interface BatchSource extends LabelledSamples {
  readonly shape?: readonly [h: number, w: number, c: number];
}

/** Samples gathered into contiguous arrays: `size` inputs (`xs`) and their labels (`ys`). */
export interface GatheredBatch {
  readonly xs: Float32Array;
  readonly ys: Int32Array;
  readonly size: number;
}

/** One batch: `size` images (NHWC, `xs`) and their labels (`ys`); `index` counts from 0. */
export interface Batch extends GatheredBatch {
  readonly index: number;
}

/**
 * Copies samples `order[start … start+size)` (fewer at the end of `order`) into fresh
 * arrays. The one gather behind {@link batches}, the train loop and evaluation.
 * @example
 * const { xs, ys, size } = gatherBatch(train, order, 64 * k, 64);
 */
export function gatherBatch(
  data: LabelledSamples,
  order: ArrayLike<number>,
  start: number,
  size: number,
): GatheredBatch {
  const n = Math.max(0, Math.min(size, order.length - start));
  const per = data.length === 0 ? 0 : data.images.length / data.length;
  const xs = new Float32Array(n * per);
  const ys = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[start + k]!;
    xs.set(data.images.subarray(i * per, (i + 1) * per), k * per);
    ys[k] = data.labels[i]!;
  }
  return { xs, ys, size: n };
}

export interface BatchOptions {
  /** Applied to each batch's `xs`; an array is applied left to right. */
  readonly augment?: Augmentation | readonly Augmentation[];
  /**
   * One random stream for the whole epoch, consumed batch by batch in order. Give the
   * iterator its own generator: batches are prepared ahead, so sharing it with the
   * training step would make draws depend on timing.
   */
  readonly random?: Random;
  /**
   * Instead of `random`: batch `k` gets its own stream seeded from `(seed, k)`, so an
   * epoch resumed at `startBatch` produces exactly the batches an uninterrupted one would.
   */
  readonly seed?: number;
  /** Batches prepared ahead of the one being consumed (default 2; 0 = on demand). */
  readonly prefetch?: number;
  /** Drop the last batch when it is smaller than `batchSize` (default false: keep it). */
  readonly dropLast?: boolean;
  /** Start at this batch index (resuming mid-epoch); earlier batches are not built. */
  readonly startBatch?: number;
  /** Stops the iteration (it throws the signal's reason) when aborted. */
  readonly signal?: AbortSignal;
}

/** How many batches {@link batches} yields for `length` items. */
export function batchCount(length: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(length / batchSize) : Math.ceil(length / batchSize);
}

/**
 * Iterates over `ds` in `order`, `batchSize` items at a time, preparing the next
 * `prefetch` batches ahead of the consumer. Deterministic given the same order and
 * random stream (or seed). Each batch owns fresh arrays: handing them to `tf.tensor`
 * is safe.
 * @example
 * for await (const { xs, ys, size } of batches(train, shuffledOrder(train.length, rng), 64, {
 *   augment: [flipHorizontal(), randomCrop({ padding: 2 })],
 *   seed: epoch,
 * })) {
 *   const x = tf.tensor4d(xs, [size, ...train.shape]);
 * }
 */
export async function* batches(
  ds: BatchSource,
  order: Int32Array | readonly number[],
  batchSize: number,
  options: BatchOptions = {},
): AsyncGenerator<Batch, void, undefined> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new DatasetError(`batches: batchSize must be a positive integer, got ${batchSize}`);
  }
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= ds.length) {
      throw new DatasetError(`batches: order[${k}] = ${i} is out of range for ${ds.length} items`);
    }
  }
  const startBatch = options.startBatch ?? 0;
  if (!Number.isInteger(startBatch) || startBatch < 0) {
    throw new DatasetError(`batches: startBatch must be a non-negative integer, got ${startBatch}`);
  }
  const augment = toAugmentation(options.augment);
  if (augment && options.random === undefined && options.seed === undefined) {
    throw new DatasetError(
      "batches: `augment` needs `random` or `seed` so batches are reproducible",
    );
  }
  const randomFor = (index: number): Random =>
    options.seed !== undefined ? batchRandom(options.seed, index) : options.random!;
  if (augment && ds.shape === undefined) {
    throw new DatasetError("batches: `augment` needs images: the source has no `shape`");
  }
  const [h, w, c] = ds.shape ?? [0, 0, 0];

  const build = (index: number): Batch => {
    const { xs, ys, size } = gatherBatch(ds, order, index * batchSize, batchSize);
    if (!augment) return { xs, ys, size, index };
    return { xs: augment(xs, [size, h, w, c], randomFor(index)), ys, size, index };
  };

  const total = batchCount(order.length, batchSize, options.dropLast);
  const ahead = Math.max(0, options.prefetch ?? 2);
  const queue: Promise<Batch>[] = [];
  let next = startBatch;
  let closed = false;
  const schedule = (limit: number) => {
    while (next < total && queue.length < limit) {
      const index = next++;
      // setImmediate runs callbacks in FIFO order, so batches (and their random draws)
      // are always built in index order, whatever the consumer's timing.
      const pending = new Promise<Batch>((resolve, reject) => {
        setImmediate(() => {
          if (closed) return reject(new Error("batches: iteration ended"));
          try {
            resolve(build(index));
          } catch (error) {
            reject(error);
          }
        });
      });
      pending.catch(() => {}); // surfaced when awaited; an abandoned batch must not crash the process
      queue.push(pending);
    }
  };

  try {
    for (;;) {
      schedule(ahead + 1); // the batch about to be awaited, and those after it
      const pending = queue.shift();
      if (pending === undefined) return;
      options.signal?.throwIfAborted();
      const batch = await pending;
      schedule(ahead); // built while the consumer works on `batch`
      yield batch;
    }
  } finally {
    closed = true; // a consumer that stops early leaves no batches to build
  }
}

/**
 * Batch `index`'s own random stream for `seed`: what {@link batches} uses with `seed`, and
 * what the train loop uses for augmentation, so a batch is augmented alike after a resume.
 */
export function batchRandom(seed: number, index: number): Random {
  return Rng.fromSeed(deriveSeed(seed, index)).random;
}

function toAugmentation(augment: BatchOptions["augment"]): Augmentation | undefined {
  if (augment === undefined) return undefined;
  if (typeof augment === "function") return augment;
  return augment.length === 0 ? undefined : composeAugmentations(...augment);
}
