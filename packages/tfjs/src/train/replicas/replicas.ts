import type * as tf from "@tensorflow/tfjs-core";
import { tfCore } from "../../lazy/modules.ts";
import type { ReplicaStep, ReplicaTimings } from "./replica-pool.ts";

export type { ReplicaStep, ReplicaTimings } from "./replica-pool.ts";

/**
 * What the train loop needs of data-parallel replicas, whichever kind runs them: worker threads
 * on wasm / cpu (`ReplicaPool`) or one process per GPU on tfjs-node-gpu
 * (`ProcessReplicaPool`). Both split a batch with `shardBounds`, compute each shard with
 * `shardGradients` and add the shards' gradients in replica order in float32, so for the same
 * `count` they give the same bits; the optimizer step stays with the caller.
 */
export interface Replicas {
  /** Replicas in all, the caller's own (replica 0) included. */
  readonly count: number;
  /** Per-step time spent on each part, summed since the start. */
  readonly timings: ReplicaTimings;
  /** The batch's loss, correct count and summed gradients with the model's current weights. */
  step(xs: Float32Array, ys: Int32Array, shape: readonly number[]): Promise<ReplicaStep>;
  /** `grads` as the `{ name, tensor }` list `optimizer.applyGradients` takes (call in `tf.tidy`). */
  gradientMap(grads: Float32Array): { name: string; tensor: tf.Tensor }[];
  /** Ends the other replicas. Safe to call twice. */
  close(): Promise<void>;
}

/** Flat gradients (in `vars` order) as named tensors, one a variable. */
export function gradientMapOf(
  vars: readonly tf.Variable[],
  grads: Float32Array,
): { name: string; tensor: tf.Tensor }[] {
  const tf = tfCore();
  let offset = 0;
  return vars.map((v) => {
    const n = v.size;
    const tensor = tf.tensor(grads.subarray(offset, offset + n), v.shape, "float32");
    offset += n;
    return { name: v.name, tensor };
  });
}

/**
 * The all-reduce step: adds `shard` into `sum` in float32 (a Float32Array rounds every add).
 * Called in replica order, so the result is the same bits for the same replica count.
 */
export function addShard(sum: Float32Array, shard: Float32Array): void {
  for (let k = 0; k < sum.length; k++) sum[k] = sum[k]! + shard[k]!;
}

/** Elements of all `shapes` together. */
export function sizeOfAll(shapes: readonly (readonly number[])[]): number {
  return shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}
