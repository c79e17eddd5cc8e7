import type { OutputKind } from "../losses.ts";

/** What a replica worker starts with (its `workerData`). */
export interface ReplicaInit {
  /** tfjs backend of the training thread: the replica uses the same one. */
  readonly backend: "wasm" | "cpu";
  /** `model.toJSON(null, false)`: the replica builds its own copy of the model. */
  readonly topology: object;
  readonly kind: OutputKind;
  /** The pool's shared memory (float32 arrays at the offsets below). */
  readonly memory: SharedArrayBuffer;
  /** Float offset of every weight of the model (`model.weights` order), written by the training thread. */
  readonly weights: number;
  /** Float offset of this replica's gradients (`model.trainableWeights` order), written by the replica. */
  readonly grads: number;
  /** The pool's {@link Signals} buffer. */
  readonly signals: SharedArrayBuffer;
  /** This replica's index (1 … count − 1). */
  readonly replica: number;
  /** How long to poll for the next request before sleeping (see `ReplicaPoolOptions.spinMs`). */
  readonly spinMs: number;
}

/**
 * Training thread → replica, read with `receiveMessageOnPort` once its request word says one
 * is there: compute the gradients of this shard with the current weights, evaluate samples,
 * or stop.
 */
export type ShardRequest =
  | {
      readonly type: "shard";
      readonly xs: Float32Array;
      readonly ys: Int32Array;
      /** Samples in the whole batch (the loss is the batch mean). */
      readonly batchSize: number;
      readonly shape: readonly number[];
    }
  | {
      /** Evaluate these samples: report the loss summed over them and the correct count. */
      readonly type: "evaluate";
      readonly xs: Float32Array;
      readonly ys: Int32Array;
      readonly numClasses: number;
      readonly batchSize: number;
    }
  | { readonly type: "close" };

/** Replica → training thread, as messages: readiness and errors (results go through {@link Signals}). */
export type ReplicaMessage =
  | { readonly type: "ready" }
  | { readonly type: "error"; readonly message: string; readonly stack?: string };

/**
 * The shared words a step synchronises on, one pair a replica (index 0 unused): the training
 * thread bumps `request` after posting a request; the replica stores the same number in
 * `done` when its gradients and results are written (its negation when it failed), then its
 * loss, correct count and time in `results`. Polling these words costs microseconds where
 * message events wake a sleeping thread in ~0.1–1 ms.
 */
export class Signals {
  readonly words: Int32Array;
  readonly results: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    const count = buffer.byteLength / 32;
    this.words = new Int32Array(buffer, 0, 2 * count);
    this.results = new Float64Array(buffer, 8 * count, 3 * count);
  }

  /** A buffer for `count` replicas. */
  static create(count: number): Signals {
    return new Signals(new SharedArrayBuffer(32 * count));
  }

  static requestIndex(r: number): number {
    return 2 * r;
  }

  static doneIndex(r: number): number {
    return 2 * r + 1;
  }
}

/**
 * Waits for a shared word to change: polls first, then sleeps. The polling budget adapts to
 * how long the waits turn out: a change that came within `maxSpinMs` (there already, seen
 * while polling, or after sleeping) restores the whole budget, since polling would have
 * caught it; a longer wait halves it. On an idle machine the other thread answers within the budget and polling
 * stays; where it is often descheduled (other work keeps the cores busy) waits run long and
 * polling stops spending this process's share of the CPU.
 */
export class Waiter {
  #spinMs: number;

  constructor(readonly maxSpinMs: number) {
    this.#spinMs = maxSpinMs;
  }

  /** The current polling budget in ms. */
  get spinMs(): number {
    return this.#spinMs;
  }

  /**
   * Waits until `words[index]` differs from `value`, sleeping at most `sliceMs` after the
   * polling budget ran out. Returns the new value, or `value` when the time ran out.
   */
  wait(words: Int32Array, index: number, value: number, sliceMs: number): number {
    let now = Atomics.load(words, index);
    if (now !== value) {
      this.#spinMs = this.maxSpinMs;
      return now;
    }
    const started = performance.now();
    if (this.#spinMs > 0) {
      const until = started + this.#spinMs;
      do {
        now = Atomics.load(words, index);
        if (now !== value) {
          this.#spinMs = this.maxSpinMs;
          return now;
        }
      } while (performance.now() < until);
    }
    Atomics.wait(words, index, value, sliceMs);
    now = Atomics.load(words, index);
    const waited = performance.now() - started;
    this.#spinMs = now !== value && waited <= this.maxSpinMs ? this.maxSpinMs : this.#spinMs / 2;
    if (this.#spinMs < 0.01) this.#spinMs = 0;
    return now;
  }
}
