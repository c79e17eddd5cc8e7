import * as tf from "@tensorflow/tfjs-core";

/**
 * Scales `grads` so their global L2 norm is at most `maxNorm` (like PyTorch's
 * `clip_grad_norm_`). Call inside `tf.tidy`. Returns the clipped list and the norm before.
 */
export function clipByGlobalNorm(
  grads: readonly tf.Tensor[],
  maxNorm: number,
): { grads: tf.Tensor[]; norm: tf.Scalar } {
  const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12)));
  return { grads: grads.map((g) => tf.mul(g, scale)), norm };
}
