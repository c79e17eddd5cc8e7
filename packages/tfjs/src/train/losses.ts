import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { tfCore } from "../lazy/modules.ts";

/** Whether a classifier's output is raw logits or softmax probabilities. */
export type OutputKind = "logits" | "probabilities";

/** `probabilities` when the model's last layer applies softmax, else `logits`. */
export function outputKindOf(model: LayersModel): OutputKind {
  const last = model.layers[model.layers.length - 1];
  const activation = last?.getConfig().activation;
  return activation === "softmax" || last?.getClassName() === "Softmax"
    ? "probabilities"
    : "logits";
}

/** Mean sparse categorical cross-entropy of `outputs` [n, k] against integer `labels` [n]. */
export function crossEntropy(outputs: tf.Tensor, labels: tf.Tensor1D, kind: OutputKind): tf.Scalar {
  const tf = tfCore();
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels, outputs.shape[1] ?? 1);
    if (kind === "logits") return tf.losses.softmaxCrossEntropy(oneHot, outputs) as tf.Scalar;
    const eps = 1e-7;
    const logP = tf.log(tf.clipByValue(outputs, eps, 1 - eps));
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logP), -1))) as tf.Scalar;
  });
}

/** How many rows of `outputs` have their arg-max at the label. */
export function countCorrect(outputs: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  const tf = tfCore();
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(outputs, -1), labels), "int32")));
}

/** How many rows of row-major `outputs` ([n, k]) have their arg-max at `labels[row]`. */
export function countCorrectOnHost(outputs: ArrayLike<number>, labels: Int32Array): number {
  const n = labels.length;
  const k = outputs.length / n;
  let correct = 0;
  for (let row = 0; row < n; row++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (outputs[row * k + j]! > outputs[row * k + best]!) best = j;
    if (best === labels[row]) correct++;
  }
  return correct;
}
