import type { Worker } from "node:worker_threads";
import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { tfCore } from "../../lazy/modules.ts";
import { startThread } from "../../threads/start-thread.ts";
import type { OutputKind } from "../losses.ts";
import type { ReplicaInit, ReplicaMessage, ShardRequest } from "./replica-protocol.ts";
import { shardBounds, shardGradients } from "./shard-step.ts";

/** What {@link ReplicaPool.start} needs. */
export interface ReplicaPoolOptions {
  readonly model: LayersModel;
  /** Replicas in all, the training thread included (so `count - 1` worker threads). */
  readonly count: number;
  readonly outputKind: OutputKind;
  /** Replica 0's share relative to a worker's (see `shardBounds`). Default 1: even. */
  readonly ownShardWeight?: number;
}

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
}

interface Replica {
  readonly worker: Worker;
  readonly grads: Float32Array;
  pending?: { resolve: (m: ReplicaMessage & { type: "done" }) => void; reject: (e: Error) => void };
  failure?: Error;
}

/**
 * Data-parallel replicas of a model: the training thread is replica 0, and `count - 1` worker
 * threads (each with its own tfjs on the same backend) are the others. {@link step} splits a
 * batch into contiguous shards, one a replica, and sums their gradients in replica order, so
 * the result is bitwise-deterministic for a given `count`. Weights travel to the replicas
 * through a SharedArrayBuffer written before every step; each replica's gradients come back
 * through its own. The optimizer stays on the training thread: apply {@link ReplicaStep.grads}
 * there.
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
  readonly #weights: Float32Array;
  readonly #own: Float32Array;
  readonly #replicas: Replica[];
  #nextId = 0;
  #closed = false;
  #timings = { steps: 0, publishMs: 0, ownShardMs: 0, waitMs: 0, reduceMs: 0, replicaMs: 0 };

  private constructor(options: ReplicaPoolOptions, weights: Float32Array, replicas: Replica[]) {
    this.count = options.count;
    this.#model = options.model;
    this.#kind = options.outputKind;
    this.#ownWeight = options.ownShardWeight;
    this.#vars = options.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.#weights = weights;
    this.#own = new Float32Array(sizeOfAll(this.#vars.map((v) => v.shape)));
    this.#replicas = replicas;
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
    const weights = new Float32Array(
      new SharedArrayBuffer(4 * sizeOfAll(model.weights.map((w) => w.shape as number[]))),
    );
    const gradSize = sizeOfAll(model.trainableWeights.map((w) => w.shape as number[]));
    const topology = model.toJSON(null, false) as object;
    const replicas: Replica[] = [];
    const ready: Promise<void>[] = [];
    for (let r = 1; r < options.count; r++) {
      const grads = new SharedArrayBuffer(4 * gradSize);
      const init: ReplicaInit = {
        backend: backend as ReplicaInit["backend"],
        topology,
        kind: options.outputKind,
        weights: weights.buffer as SharedArrayBuffer,
        grads,
      };
      const worker = startThread("train/replicas/replica-main", init);
      const replica: Replica = { worker, grads: new Float32Array(grads) };
      replicas.push(replica);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const fail = (error: Error) => {
            replica.failure = error;
            reject(error);
            replica.pending?.reject(error);
          };
          worker.on("message", (message: ReplicaMessage) => {
            if (message.type === "ready") resolve();
            else if (message.type === "done") replica.pending?.resolve(message);
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
    return new ReplicaPool(options, weights, replicas);
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
    if (this.#closed) throw new Error("the replica pool is closed");
    const tf = tfCore();
    const t0 = performance.now();
    this.#publishWeights();
    const t1 = performance.now();
    const size = ys.length;
    const per = size === 0 ? 0 : xs.length / size;
    const answers = this.#replicas.map((replica, i) => {
      const [start, end] = shardBounds(size, this.count, i + 1, this.#ownWeight);
      if (start === end) return undefined;
      if (replica.failure) throw replica.failure;
      const request: ShardRequest = {
        type: "shard",
        id: this.#nextId++,
        xs: xs.slice(start * per, end * per),
        ys: ys.slice(start, end),
        batchSize: size,
        shape,
      };
      return new Promise<ReplicaMessage & { type: "done" }>((resolve, reject) => {
        replica.pending = { resolve, reject };
        replica.worker.postMessage(request);
      });
    });
    const [start, end] = shardBounds(size, this.count, 0, this.#ownWeight);
    const labels = ys.subarray(start, end);
    const x = tf.tensor(xs.subarray(start * per, end * per), [end - start, ...shape]);
    const y = tf.tensor1d(labels, "int32");
    let own: { loss: number; correct: number };
    try {
      own = shardGradients(this.#model, this.#vars, x, y, labels, size, this.#kind, this.#own);
    } finally {
      tf.dispose([x, y]);
    }
    const t2 = performance.now();
    const done = await Promise.all(answers);
    const t3 = performance.now();
    // The all-reduce: replica order, float32 adds (a Float32Array rounds every sum).
    const sum = this.#own;
    let loss = own.loss;
    let correct = own.correct;
    let slowest = 0;
    for (const [i, answer] of done.entries()) {
      if (answer === undefined) continue;
      const g = this.#replicas[i]!.grads;
      for (let k = 0; k < sum.length; k++) sum[k] = sum[k]! + g[k]!;
      loss = Math.fround(loss + answer.loss);
      slowest = Math.max(slowest, answer.ms);
      correct += answer.correct;
    }
    const t4 = performance.now();
    const timings = this.#timings;
    timings.steps++;
    timings.publishMs += t1 - t0;
    timings.ownShardMs += t2 - t1;
    timings.waitMs += t3 - t2;
    timings.reduceMs += t4 - t3;
    timings.replicaMs += slowest;
    return { loss, correct, grads: sum };
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

  /** Terminates the worker threads. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const replica of this.#replicas) replica.worker.removeAllListeners("exit");
    await Promise.all(this.#replicas.map((replica) => replica.worker.terminate()));
  }

  #publishWeights(): void {
    let offset = 0;
    for (const w of this.#model.weights) {
      const values = w.read().dataSync() as Float32Array;
      this.#weights.set(values, offset);
      offset += values.length;
    }
  }
}

function sizeOfAll(shapes: readonly (readonly number[])[]): number {
  return shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}

function replicaError(r: number, message: { message: string; stack?: string }): Error {
  const error = new Error(`replica ${r}: ${message.message}`);
  if (message.stack) error.stack = `${error.message}\n${message.stack}`;
  return error;
}
