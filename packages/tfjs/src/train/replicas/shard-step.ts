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
 * `[start, end)` of shard `r` of `n` over `size` samples: contiguous, sizes differing by at
 * most one, the larger first. Fewer than `n` samples give empty trailing shards.
 * @example
 * shardBounds(65, 2, 0) // [0, 33]
 */
export function shardBounds(size: number, n: number, r: number): [number, number] {
  const base = Math.floor(size / n);
  const extra = size % n;
  const start = r * base + Math.min(r, extra);
  return [start, start + base + (r < extra ? 1 : 0)];
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
