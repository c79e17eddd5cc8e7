import type { BackendName } from "../../backend/backend-names.ts";
import type { OutputKind } from "../losses.ts";

// The messages between the training process and a replica process (process-replica-main.ts),
// over the IPC channel of `child_process.fork` with `serialization: "advanced"`, so the typed
// arrays travel as they are.

/** Training process → replica, first: load the backend and build the model. */
export interface ProcessReplicaInit {
  readonly type: "init";
  /** This replica's number (1 …), for messages. */
  readonly replica: number;
  /** What the replica resolves: `tensorflow-gpu` on its own GPU (`cpu`/`wasm` stand in for tests). */
  readonly backend: BackendName;
  /** Where the training process found tfjs-node-gpu, and its nvidia-smi. */
  readonly resolvePaths?: readonly string[];
  readonly nvidiaSmi?: string;
  /** `model.toJSON(null, false)`: the replica builds its own copy of the model. */
  readonly topology: object;
  readonly kind: OutputKind;
}

/** Training process → replica: this shard's gradients with these weights. */
export interface ProcessShardRequest {
  readonly type: "shard";
  readonly id: number;
  /** Every weight of the model, `model.weights` order. */
  readonly weights: Float32Array;
  readonly xs: Float32Array;
  readonly ys: Int32Array;
  /** Samples in the whole batch (the loss is the batch mean). */
  readonly batchSize: number;
  readonly shape: readonly number[];
}

/** What a replica process reports once its backend and model are ready. */
export interface ProcessReplicaReady {
  readonly type: "ready";
  readonly pid: number;
  /** tipi's name of the backend it resolved, and why. */
  readonly backend: BackendName;
  readonly reason: string;
  /** Its `CUDA_VISIBLE_DEVICES` when TensorFlow loaded (unset: `undefined`). */
  readonly cudaVisibleDevices: string | undefined;
}

/** Replica process → training process. */
export type ProcessReplicaMessage =
  | ProcessReplicaReady
  | {
      readonly type: "done";
      readonly id: number;
      readonly loss: number;
      readonly correct: number;
      /** The shard's gradients, `model.trainableWeights` order, scaled to the batch mean. */
      readonly grads: Float32Array;
      /** Time the replica spent on the request: loading the weights and its shard. */
      readonly ms: number;
    }
  | { readonly type: "error"; readonly message: string; readonly stack?: string };
