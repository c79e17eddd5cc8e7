import { type Augmentation, composeAugmentations } from "./augment.ts";
import type { ImageDataset } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import { mixSeed, type Random, seededRandom } from "./random.ts";

/** One batch: `size` images (NHWC, `xs`) and their labels (`ys`); `index` counts from 0. */
export interface Batch {
  readonly xs: Float32Array;
  readonly ys: Int32Array;
  readonly size: number;
  readonly index: number;
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
  ds: ImageDataset,
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
    options.seed !== undefined ? seededRandom(mixSeed(options.seed, index)) : options.random!;
  const [h, w, c] = ds.shape;
  const itemSize = h * w * c;

  const build = (index: number): Batch => {
    const start = index * batchSize;
    const size = Math.min(batchSize, order.length - start);
    let xs: Float32Array = new Float32Array(size * itemSize);
    const ys = new Int32Array(size);
    for (let k = 0; k < size; k++) {
      const i = order[start + k]!;
      xs.set(ds.images.subarray(i * itemSize, (i + 1) * itemSize), k * itemSize);
      ys[k] = ds.labels[i]!;
    }
    if (augment) xs = augment(xs, [size, h, w, c], randomFor(index));
    return { xs, ys, size, index };
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

function toAugmentation(augment: BatchOptions["augment"]): Augmentation | undefined {
  if (augment === undefined) return undefined;
  if (typeof augment === "function") return augment;
  return augment.length === 0 ? undefined : composeAugmentations(...augment);
}
