import type { Worker } from "node:worker_threads";
import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { evaluateModel } from "../../evaluate/evaluate.ts";
import { tfCore } from "../../lazy/modules.ts";
import { startThread } from "../../threads/start-thread.ts";
import {
  type AdamKernel,
  adamKernel,
  adamUpdateJs,
  type SharedMemory,
  sharedMemory,
} from "../adam-kernel.ts";
import type { LabelledArrays } from "../batch.ts";
import { AdamState } from "../fused-adam.ts";
import type { OutputKind } from "../losses.ts";
import {
  type ReplicaInit,
  type ReplicaMessage,
  type ShardRequest,
  Signals,
  Waiter,
} from "./replica-protocol.ts";
import { hostShardGradients, shardBounds } from "./shard-step.ts";

/** What {@link ReplicaPool.start} needs. */
export interface ReplicaPoolOptions {
  readonly model: LayersModel;
  /** Replicas in all, the training thread included (so `count - 1` worker threads). */
  readonly count: number;
  readonly outputKind: OutputKind;
  /** Replica 0's share relative to a worker's (see `shardBounds`). Default 1: even. */
  readonly ownShardWeight?: number;
  /**
   * How long a thread polls for the other side (the training thread for the workers' results,
   * a worker for its next request) before it sleeps. A sleeping thread of a virtual machine
   * takes ~0.1–1 ms to wake, a poll microseconds; polling only spends a core that would idle.
   * Default {@link DEFAULT_SPIN_MS}; 0 sleeps at once.
   */
  readonly spinMs?: number;
}

/** {@link ReplicaPoolOptions.spinMs}'s default: longer than a step's serial part, short next to validation. */
export const DEFAULT_SPIN_MS = 2;

/** One batch's result over all replicas. */
export interface ReplicaStep {
  /** The batch's mean loss (the sum of the shards' scaled losses, in replica order). */
  readonly loss: number;
  readonly correct: number;
  /**
   * The batch's gradients, flat in `model.trainableWeights` order: shard 0's, plus shard 1's,
   * … in replica order (float32 adds in a fixed order: the same bits for the same `count`).
   * Valid until the next {@link ReplicaPool.step}.
   */
  readonly grads: Float32Array;
}

/** Time spent per step, summed since the pool started (for benches and logs). */
export interface ReplicaTimings {
  readonly steps: number;
  /** Writing the weights for the replicas. */
  readonly publishMs: number;
  /** The training thread's own shard. */
  readonly ownShardMs: number;
  /** Waiting for the slowest replica after the own shard was done. */
  readonly waitMs: number;
  /** The slowest worker replica's own time on its shard (weights loaded, shard computed). */
  readonly replicaMs: number;
  /** Summing the replicas' gradients into one. */
  readonly reduceMs: number;
  /**
   * {@link ReplicaPool.trainStep}'s Adam update over the shared weights, and loading them into
   * this thread's variables (0 for {@link ReplicaPool.step}).
   */
  readonly optimizerMs?: number;
}

/** Where each array lives in the pool's shared memory (float offsets; 16-byte aligned). */
interface Layout {
  /** Every weight, `model.weights` order. */
  readonly weights: number;
  /** Replica r's gradients (`model.trainableWeights` order) at `grads + r * slot`. */
  readonly grads: number;
  /** `params` rounded up to a multiple of 4. */
  readonly slot: number;
  /** Adam's first and second moments (trainable order). */
  readonly m: number;
  readonly v: number;
  /** Trainable parameters in all. */
  readonly params: number;
  /** Every weight's values together. */
  readonly weightCount: number;
  /** Where each trainable variable's values sit among the weights. */
  readonly trainableAt: readonly number[];
  /** Each trainable variable's index in `model.weights`. */
  readonly trainableIndex: readonly number[];
  readonly floats: number;
}

interface Replica {
  readonly worker: Worker;
  /** Requests posted to it so far (its request word). */
  requests: number;
  failure?: Error;
}

/**
 * Data-parallel replicas of a model: the training thread is replica 0, and `count - 1` worker
 * threads (each with its own tfjs on the same backend) are the others. {@link step} splits a
 * batch into contiguous shards, one a replica, and sums their gradients in replica order, so
 * the result is bitwise-deterministic for a given `count`. Weights and gradients live in one
 * shared memory: the replicas read the weights at the start of a step, each writes its
 * gradients into its own slot. The optimizer stays on the training thread: apply
 * {@link ReplicaStep.grads} there, or let {@link trainStep} run tfjs's Adam on the shared
 * memory itself (the same bits, a fraction of the time).
 *
 * @example
 * const pool = await ReplicaPool.start({ model, count: 2, outputKind: "probabilities" });
 * try {
 *   const { loss, grads } = await pool.step(batch.xs, batch.ys, shape);
 *   optimizer.applyGradients(pool.gradientMap(grads));
 * } finally {
 *   await pool.close();
 * }
 */
export class ReplicaPool {
  readonly count: number;
  readonly #model: LayersModel;
  readonly #kind: OutputKind;
  readonly #ownWeight: number | undefined;
  readonly #vars: tf.Variable[];
  readonly #layout: Layout;
  readonly #floats: Float32Array;
  readonly #weights: Float32Array;
  readonly #kernel: AdamKernel;
  readonly #replicas: Replica[];
  /** The weights' data ids when last copied to or from the shared memory (changed: copy again). */
  readonly #published: (object | undefined)[];
  #adam: AdamState | undefined;
  /** Which worker replicas had a shard in the last step (their gradients count). */
  #answered: boolean[] = [];
  readonly #signals: Signals;
  readonly #waiter: Waiter;
  #closed = false;
  #timings = {
    steps: 0,
    publishMs: 0,
    ownShardMs: 0,
    waitMs: 0,
    reduceMs: 0,
    replicaMs: 0,
    optimizerMs: 0,
  };

  private constructor(
    options: ReplicaPoolOptions,
    layout: Layout,
    memory: SharedMemory,
    signals: Signals,
    replicas: Replica[],
  ) {
    this.count = options.count;
    this.#model = options.model;
    this.#kind = options.outputKind;
    this.#ownWeight = options.ownShardWeight;
    this.#vars = options.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.#layout = layout;
    this.#floats = new Float32Array(memory.buffer);
    this.#weights = this.#floats.subarray(layout.weights, layout.weights + layout.weightCount);
    this.#kernel = adamKernel(memory) ?? jsKernel(this.#floats);
    this.#replicas = replicas;
    this.#signals = signals;
    this.#waiter = new Waiter(options.spinMs ?? DEFAULT_SPIN_MS);
    this.#published = options.model.weights.map(() => undefined);
  }

  /**
   * Starts `count - 1` replica workers and waits until each has built its model (none for
   * `count` 1: the pool then computes on this thread alone). Throws when
   * one cannot (a layer tfjs cannot rebuild from its JSON, an unsupported backend); the
   * workers already started are terminated.
   */
  static async start(options: ReplicaPoolOptions): Promise<ReplicaPool> {
    const tf = tfCore();
    const backend = tf.getBackend();
    if (!Number.isInteger(options.count) || options.count < 1) {
      throw new Error(`a replica pool needs a positive integer count, got ${options.count}`);
    }
    if (options.count > 1 && backend !== "wasm" && backend !== "cpu") {
      throw new Error(`replica workers run on wasm or cpu, not on ${backend}`);
    }
    const { model } = options;
    if (model.weights.some((w) => w.dtype !== "float32")) {
      throw new Error("replica workers need float32 weights");
    }
    const layout = layoutOf(model, options.count);
    const memory = sharedMemory(layout.floats);
    const signals = Signals.create(options.count);
    const topology = model.toJSON(null, false) as object;
    const replicas: Replica[] = [];
    const ready: Promise<void>[] = [];
    for (let r = 1; r < options.count; r++) {
      const init: ReplicaInit = {
        backend: backend as ReplicaInit["backend"],
        topology,
        kind: options.outputKind,
        memory: memory.buffer,
        weights: layout.weights,
        grads: layout.grads + r * layout.slot,
        signals: signals.buffer,
        replica: r,
        spinMs: options.spinMs ?? DEFAULT_SPIN_MS,
      };
      const worker = startThread("train/replicas/replica-main", init);
      const replica: Replica = { worker, requests: 0 };
      replicas.push(replica);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const fail = (error: Error) => {
            replica.failure ??= error;
            reject(error);
          };
          worker.on("message", (message: ReplicaMessage) => {
            if (message.type === "ready") resolve();
            else fail(replicaError(r, message));
          });
          worker.on("error", (error) => fail(replicaError(r, { message: error.message })));
          worker.on("exit", (code) => fail(new Error(`replica ${r} exited (code ${code})`)));
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      await Promise.all(replicas.map((replica) => replica.worker.terminate()));
      throw error;
    }
    return new ReplicaPool(options, layout, memory, signals, replicas);
  }

  /** Per-step time spent on each part, summed since the start. */
  get timings(): ReplicaTimings {
    return { ...this.#timings };
  }

  /**
   * Computes the batch's loss, correct count and gradients over all replicas with the model's
   * current weights: shard 0 on this thread while the workers compute theirs.
   */
  async step(xs: Float32Array, ys: Int32Array, shape: readonly number[]): Promise<ReplicaStep> {
    const { loss, correct } = await this.#shards(xs, ys, shape);
    const t0 = performance.now();
    const grads = this.#reduce();
    this.#timings.reduceMs += performance.now() - t0;
    return { loss, correct, grads };
  }

  /**
   * One training step with tfjs's Adam (`tf.train.adam`, not a subclass): the batch's
   * gradients over all replicas, summed in replica order, then Adam's update computed on the
   * shared memory by a WebAssembly SIMD kernel with tfjs's float32 operations in tfjs's order
   * (the same bits as `optimizer.applyGradients`, about 0.05 ms instead of ~0.9 ms of tfjs
   * kernels for 56k parameters), and the new weights loaded into the model.
   *
   * The moments are read from `optimizer` at the first step (and whenever something else
   * changed its state) and kept here between steps: call {@link syncOptimizer} before reading
   * the optimizer's state (`getWeights`, a checkpoint); {@link close} does it too.
   * @example
   * const optimizer = tf.train.adam(1e-3);
   * const { loss } = await pool.trainStep(batch.xs, batch.ys, [28, 28, 1], optimizer);
   */
  async trainStep(
    xs: Float32Array,
    ys: Int32Array,
    shape: readonly number[],
    optimizer: tf.AdamOptimizer,
  ): Promise<{ readonly loss: number; readonly correct: number }> {
    const adam = this.#adamFor(optimizer);
    adam.load();
    const result = await this.#shards(xs, ys, shape);
    const t0 = performance.now();
    this.#reduce();
    const t1 = performance.now();
    const { weights, grads, m, v, trainableAt } = this.#layout;
    const s = adam.scalars();
    let offset = 0;
    for (const [i, variable] of this.#vars.entries()) {
      const n = variable.size;
      const at = (base: number) => 4 * (base + offset);
      this.#kernel.adam(4 * (weights + trainableAt[i]!), at(m), at(v), at(grads), n, s);
      offset += n;
    }
    adam.stepped(s);
    this.#loadTrainable();
    this.#timings.reduceMs += t1 - t0;
    this.#timings.optimizerMs += performance.now() - t1;
    return result;
  }

  /**
   * The mean loss and accuracy of the model's current weights on `data`, its samples split
   * into contiguous shards evaluated by every replica at once (in batches of `batchSize`).
   * The loss is summed over the shards in replica order: the same bits for the same `count`,
   * not quite those of one `evaluateModel` pass (other batch boundaries).
   * @example
   * const { loss, accuracy } = await pool.evaluate(validation, 256);
   */
  async evaluate(
    data: LabelledArrays,
    batchSize: number,
  ): Promise<{ readonly loss: number; readonly accuracy: number }> {
    if (this.#closed) throw new Error("the replica pool is closed");
    this.#publishWeights();
    const n = data.length;
    const per = n === 0 ? 0 : data.images.length / n;
    const part = (r: number) => {
      const [start, end] = shardBounds(n, this.count, r);
      return {
        images: data.images.subarray(start * per, end * per),
        labels: data.labels.subarray(start, end),
        length: end - start,
      };
    };
    const asked = this.#replicas.map((replica, i) => {
      const { images, labels, length } = part(i + 1);
      if (length === 0) return false;
      if (replica.failure) throw replica.failure;
      this.#post(i + 1, replica, {
        type: "evaluate",
        xs: images.slice(),
        ys: labels.slice(),
        numClasses: data.numClasses,
        batchSize,
      });
      return true;
    });
    const own = evaluateModel(
      this.#model,
      { ...part(0), numClasses: data.numClasses },
      { batchSize, outputKind: this.#kind },
    );
    let lossSum = own.loss * own.samples;
    let correct = Math.round(own.accuracy * own.samples);
    const { results } = this.#signals;
    for (const [i, replica] of this.#replicas.entries()) {
      if (!asked[i]) continue;
      await this.#done(i + 1, replica);
      lossSum += results[3 * (i + 1)]!;
      correct += results[3 * (i + 1) + 1]!;
    }
    return { loss: lossSum / n, accuracy: correct / n };
  }

  /** Writes the Adam state {@link trainStep} keeps into its optimizer (cheap when current). */
  syncOptimizer(): void {
    this.#adam?.save();
  }

  /** `grads` as the `{ name, tensor }` list `optimizer.applyGradients` takes (call in `tf.tidy`). */
  gradientMap(grads: Float32Array): { name: string; tensor: tf.Tensor }[] {
    const tf = tfCore();
    let offset = 0;
    return this.#vars.map((v) => {
      const n = v.size;
      const tensor = tf.tensor(grads.subarray(offset, offset + n), v.shape, "float32");
      offset += n;
      return { name: v.name, tensor };
    });
  }

  /** Saves {@link trainStep}'s Adam state into its optimizer and ends the worker threads. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.syncOptimizer();
    for (const [i, replica] of this.#replicas.entries()) {
      replica.worker.removeAllListeners("exit");
      this.#post(i + 1, replica, { type: "close" });
    }
    await Promise.all(this.#replicas.map((replica) => replica.worker.terminate()));
  }

  /** Every replica's shard of the batch: the loss and correct count; gradients in their slots. */
  async #shards(
    xs: Float32Array,
    ys: Int32Array,
    shape: readonly number[],
  ): Promise<{ loss: number; correct: number }> {
    if (this.#closed) throw new Error("the replica pool is closed");
    const t0 = performance.now();
    this.#publishWeights();
    const t1 = performance.now();
    const size = ys.length;
    const per = size === 0 ? 0 : xs.length / size;
    const asked = this.#replicas.map((replica, i) => {
      const [start, end] = shardBounds(size, this.count, i + 1, this.#ownWeight);
      if (start === end) return false;
      if (replica.failure) throw replica.failure;
      this.#post(i + 1, replica, {
        type: "shard",
        xs: xs.slice(start * per, end * per),
        ys: ys.slice(start, end),
        batchSize: size,
        shape,
      });
      return true;
    });
    const own = hostShardGradients(
      this.#model,
      this.#vars,
      { xs, ys, shape },
      shardBounds(size, this.count, 0, this.#ownWeight),
      this.#kind,
      this.#grads(0),
    );
    const t2 = performance.now();
    for (const [i, replica] of this.#replicas.entries()) {
      if (asked[i]) await this.#done(i + 1, replica);
    }
    const t3 = performance.now();
    const { results } = this.#signals;
    let loss = own.loss;
    let correct = own.correct;
    let slowest = 0;
    for (const [i, answered] of asked.entries()) {
      if (!answered) continue;
      const r = i + 1;
      loss = Math.fround(loss + results[3 * r]!);
      correct += results[3 * r + 1]!;
      slowest = Math.max(slowest, results[3 * r + 2]!);
    }
    const timings = this.#timings;
    timings.steps++;
    timings.publishMs += t1 - t0;
    timings.ownShardMs += t2 - t1;
    timings.waitMs += t3 - t2;
    timings.replicaMs += slowest;
    this.#answered = asked;
    return { loss, correct };
  }

  /** Posts `request` to replica `r` and raises its request word (the message is queued first). */
  #post(r: number, replica: Replica, request: ShardRequest): void {
    const { words } = this.#signals;
    replica.worker.postMessage(request);
    replica.requests++;
    Atomics.store(words, Signals.requestIndex(r), replica.requests);
    Atomics.notify(words, Signals.requestIndex(r));
  }

  /**
   * Waits for replica `r`'s answer to its last request: polls, then sleeps in slices, letting
   * the event loop run between them so that a worker that died is noticed.
   */
  async #done(r: number, replica: Replica): Promise<void> {
    const { words } = this.#signals;
    const at = Signals.doneIndex(r);
    const seq = replica.requests;
    for (;;) {
      const now = Atomics.load(words, at);
      if (now === seq) return;
      if (now === -seq || replica.failure) {
        // Its error message follows the signal: give the event loop a moment to deliver it.
        for (let i = 0; i < 100 && !replica.failure; i++) await yieldToEventLoop();
        throw replica.failure ?? new Error(`replica ${r} failed`);
      }
      if (this.#waiter.wait(words, at, now, 20) === now) await yieldToEventLoop();
    }
  }

  /**
   * The all-reduce: the replicas' gradients added into slot 0 in replica order, float32 adds
   * (the same bits for the same `count`). Returns slot 0.
   */
  #reduce(): Float32Array {
    const { grads, slot, params } = this.#layout;
    for (const [i, answered] of this.#answered.entries()) {
      if (answered) this.#kernel.add(4 * grads, 4 * (grads + (i + 1) * slot), params);
    }
    return this.#grads(0);
  }

  #grads(r: number): Float32Array {
    const start = this.#layout.grads + r * this.#layout.slot;
    return this.#floats.subarray(start, start + this.#layout.params);
  }

  #adamFor(optimizer: tf.AdamOptimizer): AdamState {
    if (this.#adam?.optimizer === optimizer) return this.#adam;
    this.#adam?.save();
    const { m, v, params } = this.#layout;
    // The moments' slots hold `slot` floats; the state uses the first `params`.
    this.#adam = new AdamState(
      optimizer,
      this.#vars,
      this.#floats.subarray(m, m + params),
      this.#floats.subarray(v, v + params),
    );
    return this.#adam;
  }

  /** Copies into the shared memory every weight changed since it was last copied (by data id). */
  #publishWeights(): void {
    let offset = 0;
    for (const [i, w] of this.#model.weights.entries()) {
      const variable = w.read();
      const n = variable.size;
      if (variable.dataId !== this.#published[i]) {
        this.#weights.set(variable.dataSync() as Float32Array, offset);
        this.#published[i] = variable.dataId;
      }
      offset += n;
    }
  }

  /** Loads the trainable weights from the shared memory into this thread's variables. */
  #loadTrainable(): void {
    const tf = tfCore();
    const copy = tf.getBackend() !== "wasm";
    const { weights, trainableAt, trainableIndex } = this.#layout;
    for (const [i, variable] of this.#vars.entries()) {
      const start = weights + trainableAt[i]!;
      const view = this.#floats.subarray(start, start + variable.size);
      // The cpu backend keeps the array it is given: a copy, not a view of memory that changes.
      const tensor = tf.tensor(copy ? view.slice() : view, variable.shape, "float32");
      variable.assign(tensor);
      tensor.dispose();
      this.#published[trainableIndex[i]!] = variable.dataId;
    }
  }
}

/** The shared memory's layout for `model` and `count` replicas. */
function layoutOf(model: LayersModel, count: number): Layout {
  const align = (n: number) => Math.ceil(n / 4) * 4;
  const all = model.weights.map((w) => w.read());
  const starts: number[] = [];
  let total = 0;
  for (const variable of all) {
    starts.push(total);
    total += variable.size;
  }
  const trainable = model.trainableWeights.map((w) => w.read());
  const trainableAt = trainable.map((variable) => starts[all.indexOf(variable)]!);
  const params = trainable.reduce((n, variable) => n + variable.size, 0);
  const slot = align(params);
  const weights = 0;
  const grads = align(total);
  const m = grads + count * slot;
  const v = m + slot;
  return {
    weights,
    grads,
    slot,
    m,
    v,
    params,
    weightCount: total,
    trainableAt,
    trainableIndex: trainable.map((variable) => all.indexOf(variable)),
    floats: v + slot,
  };
}

/** {@link AdamKernel} in plain JavaScript over `floats` (where WebAssembly SIMD is missing). */
function jsKernel(floats: Float32Array): AdamKernel {
  const at = (byte: number, n: number) => floats.subarray(byte / 4, byte / 4 + n);
  return {
    add(dst, src, n) {
      const a = at(dst, n);
      const b = at(src, n);
      for (let k = 0; k < n; k++) a[k] = a[k]! + b[k]!;
    },
    adam(w, m, v, g, n, s) {
      adamUpdateJs(at(w, n), at(m, n), at(v, n), at(g, n), s);
    },
  };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function replicaError(r: number, message: { message: string; stack?: string }): Error {
  const error = new Error(`replica ${r}: ${message.message}`);
  if (message.stack) error.stack = `${error.message}\n${message.stack}`;
  return error;
}
