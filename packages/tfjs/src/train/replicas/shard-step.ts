import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { tfCore } from "../../lazy/modules.ts";
import { countCorrectOnHost, crossEntropy, type OutputKind } from "../losses.ts";

/** What one replica reports for its shard of a batch. */
export interface ShardResult {
  /** The shard's mean loss × `shardSize / batchSize`: the shards' values sum to the batch mean. */
  readonly loss: number;
  /** Correct predictions in the shard. */
  readonly correct: number;
}

/**
 * How much more the training thread (replica 0) takes than each worker replica. It neither
 * waits for a message nor loads the weights, so a larger share looked right, but side by
 * side on 2 idle cores 1.2 was slower than an even split (19.0 vs 18.2 ms a step): even.
 */
export const OWN_SHARD_WEIGHT = 1;

/**
 * `[start, end)` of shard `r` of `n` over `size` samples: contiguous; replica 0 (the training
 * thread) takes `ownWeight` ({@link OWN_SHARD_WEIGHT}) times a worker's share, never less than
 * an even split; the workers split the rest evenly, the larger first. A pure function of its
 * arguments, so the same batch always splits alike. Small batches give empty trailing shards.
 * @example
 * shardBounds(65, 2, 0) // [0, 33]
 */
export function shardBounds(
  size: number,
  n: number,
  r: number,
  ownWeight = OWN_SHARD_WEIGHT,
): [number, number] {
  if (n <= 1) return r === 0 ? [0, size] : [size, size];
  const even = Math.ceil(size / n);
  const own = Math.min(size, Math.max(even, Math.round((size * ownWeight) / (n - 1 + ownWeight))));
  if (r === 0) return [0, own];
  const rest = size - own;
  const base = Math.floor(rest / (n - 1));
  const extra = rest % (n - 1);
  const k = r - 1;
  const start = own + k * base + Math.min(k, extra);
  return [start, start + base + (k < extra ? 1 : 0)];
}

/**
 * The gradients of one shard of a batch, scaled by `shardSize / batchSize` (so the shards'
 * gradients sum to the whole batch's mean-loss gradient), written as one flat array in the
 * order of `vars` into `out`. The same code runs on the training thread and in every replica
 * worker, so a given shard gives the same bits wherever it runs.
 */
export function shardGradients(
  model: LayersModel,
  vars: readonly tf.Variable[],
  xs: tf.Tensor,
  ys: tf.Tensor1D,
  labels: Int32Array,
  batchSize: number,
  kind: OutputKind,
  out: Float32Array,
): ShardResult {
  const tf = tfCore();
  const scale = labels.length / batchSize;
  return tf.tidy(() => {
    let outputs: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      outputs = tf.keep(model.apply(xs, { training: true }) as tf.Tensor);
      return tf.mul(crossEntropy(outputs, ys, kind), scale) as tf.Scalar;
    }, vars as tf.Variable[]);
    let offset = 0;
    for (const v of vars) {
      const g = grads[v.name]!.dataSync() as Float32Array;
      out.set(g, offset);
      offset += g.length;
    }
    const correct = countCorrectOnHost(outputs!.dataSync(), labels);
    outputs!.dispose();
    return { loss: value.dataSync()[0]!, correct };
  });
}

/**
 * {@link shardGradients} of samples `[start, end)` of a batch held in host arrays: makes the
 * shard's tensors, computes, and disposes of them. What each pool runs for its own shard.
 */
export function hostShardGradients(
  model: LayersModel,
  vars: readonly tf.Variable[],
  batch: { readonly xs: Float32Array; readonly ys: Int32Array; readonly shape: readonly number[] },
  [start, end]: readonly [number, number],
  kind: OutputKind,
  out: Float32Array,
): ShardResult {
  const tf = tfCore();
  const size = batch.ys.length;
  const per = size === 0 ? 0 : batch.xs.length / size;
  const labels = batch.ys.subarray(start, end);
  const x = tf.tensor(batch.xs.subarray(start * per, end * per), [end - start, ...batch.shape]);
  const y = tf.tensor1d(labels, "int32");
  try {
    return shardGradients(model, vars, x, y, labels, size, kind, out);
  } finally {
    tf.dispose([x, y]);
  }
}
