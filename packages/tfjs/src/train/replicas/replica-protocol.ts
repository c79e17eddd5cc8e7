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
}

/** Training thread → replica: compute the gradients of this shard with the current weights. */
export interface ShardRequest {
  readonly type: "shard";
  readonly id: number;
  readonly xs: Float32Array;
  readonly ys: Int32Array;
  /** Samples in the whole batch (the loss is the batch mean). */
  readonly batchSize: number;
  readonly shape: readonly number[];
}

/** Replica → training thread. */
export type ReplicaMessage =
  | { readonly type: "ready" }
  | {
      readonly type: "done";
      readonly id: number;
      readonly loss: number;
      readonly correct: number;
      /** Time the replica spent on the request: loading the weights and its shard. */
      readonly ms: number;
    }
  | { readonly type: "error"; readonly message: string; readonly stack?: string };
