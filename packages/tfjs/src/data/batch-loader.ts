import type { Worker } from "node:worker_threads";
import { startThread } from "../threads/start-thread.ts";
import type { Augmentation } from "./augment.ts";
import { recipeOf } from "./augment-recipe.ts";
import type { LoaderInit, LoaderMessage, LoaderRequest } from "./batch-loader-protocol.ts";
import type { Batch, BatchSource } from "./batches.ts";

/** What {@link BatchLoader.batches} takes: the options of `batches()` a loader supports. */
export interface LoaderBatchOptions {
  /** A built-in augmentation (see {@link BatchLoader.canLoad}). */
  readonly augment?: Augmentation;
  /** Batch `k` is augmented with the stream seeded from `(seed, k)`, as with `batches()`. */
  readonly seed?: number;
  readonly startBatch?: number;
  /** Batches built ahead of the one being consumed (default 2). */
  readonly prefetch?: number;
}

/**
 * `batches()` on a thread of its own: gathering and augmentation run there, `prefetch`
 * batches ahead, so they never stall a training step. The samples are shared with it
 * (copied once into a SharedArrayBuffer unless they already live in one), and it runs the
 * same code with the same seeds: its batches are bit-identical to `batches()`'s.
 *
 * @example
 * const loader = await BatchLoader.start(train);
 * try {
 *   for await (const batch of loader.batches(order, 64, { seed: 7 })) step(batch);
 * } finally {
 *   await loader.close();
 * }
 */
export class BatchLoader {
  readonly #worker: Worker;
  #nextId = 0;
  #listener: ((message: LoaderMessage) => void) | undefined;
  #failure: Error | undefined;
  #closed = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on("message", (message: LoaderMessage) => this.#listener?.(message));
    const fail = (error: Error) => {
      this.#failure = error;
      this.#listener?.({ type: "error", id: -1, message: error.message });
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (!this.#closed) fail(new Error(`the batch loader thread exited (code ${code})`));
    });
  }

  /** Whether `augment` can run on the loader: none, or one built from tipi's augmentations. */
  static canLoad(augment: Augmentation | undefined): boolean {
    return augment === undefined || recipeOf(augment) !== undefined;
  }

  /** Starts the loader thread over `source`'s samples. */
  static async start(source: BatchSource): Promise<BatchLoader> {
    const init: LoaderInit = {
      images: shared(source.images).buffer as SharedArrayBuffer,
      labels: shared(source.labels).buffer as SharedArrayBuffer,
      length: source.length,
      ...(source.shape ? { shape: source.shape } : {}),
    };
    const worker = startThread("data/batch-loader-main", init);
    await new Promise<void>((resolve, reject) => {
      worker.once("online", resolve);
      worker.once("error", reject);
    });
    return new BatchLoader(worker);
  }

  /**
   * The batches `batches(source, order, batchSize, options)` would yield, built on the loader
   * thread. Stopping early (a `break`, an exception) tells the loader to stop building.
   */
  async *batches(
    order: Int32Array,
    batchSize: number,
    options: LoaderBatchOptions = {},
  ): AsyncGenerator<Batch, void, undefined> {
    if (this.#closed) throw new Error("the batch loader is closed");
    const recipe = options.augment ? recipeOf(options.augment) : undefined;
    if (options.augment && recipe === undefined) {
      throw new Error("the batch loader runs tipi's built-in augmentations only");
    }
    const id = this.#nextId++;
    const queue: LoaderMessage[] = [];
    let wake: (() => void) | undefined;
    this.#listener = (message) => {
      if (message.id !== id && message.id !== -1) return;
      queue.push(message);
      wake?.();
    };
    const post = (request: LoaderRequest) => this.#worker.postMessage(request);
    post({
      type: "epoch",
      id,
      order,
      batchSize,
      startBatch: options.startBatch ?? 0,
      prefetch: Math.max(0, options.prefetch ?? 2),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(recipe ? { recipe } : {}),
    });
    let ended = false;
    try {
      for (;;) {
        if (this.#failure) throw this.#failure;
        const message = queue.shift();
        if (message === undefined) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        if (message.type === "error") throw new Error(`batch loader: ${message.message}`);
        if (message.type === "end") {
          ended = true;
          return;
        }
        post({ type: "ack", id });
        yield { xs: message.xs, ys: message.ys, size: message.size, index: message.index };
      }
    } finally {
      if (!ended && !this.#closed) post({ type: "stop", id });
      this.#listener = undefined;
    }
  }

  /** Ends the loader thread. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#worker.terminate();
  }
}

/** `array` itself when it already lives in a SharedArrayBuffer, else a shared copy. */
function shared<T extends Float32Array | Int32Array>(array: T): T {
  if (array.buffer instanceof SharedArrayBuffer) {
    if (array.byteOffset === 0 && array.byteLength === array.buffer.byteLength) return array;
  }
  const Ctor = array.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Ctor(new SharedArrayBuffer(array.byteLength));
  copy.set(array);
  return copy;
}
