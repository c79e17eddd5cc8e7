import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { type GatheredBatch, gatherBatch, type LabelledSamples } from "../data/batches.ts";
import { tfCore } from "../lazy/modules.ts";

/**
 * The part of the data contract's `ImageDataset` that training needs: samples stored
 * row-major, `images.length / length` numbers each.
 */
export interface LabelledArrays extends LabelledSamples {
  readonly numClasses: number;
  readonly classNames?: readonly string[];
}

/** One batch gathered from a dataset in a given order. */
export type Batch = GatheredBatch;
export { gatherBatch };

/** The per-sample input shape of `model` ([28, 28, 1] for a CNN, [784] for an MLP). */
export function sampleShape(model: LayersModel): number[] {
  const shape = model.inputs[0]?.shape;
  if (!shape) throw new Error("the model has no input");
  return shape.slice(1).map((d) => {
    if (d === null) throw new Error("the model's input shape must be fully defined");
    return d;
  });
}

/** The batch as `[n, ...sampleShape]` inputs and int32 labels. */
export function batchTensors(batch: Batch, shape: readonly number[]): [tf.Tensor, tf.Tensor1D] {
  const tf = tfCore();
  return [tf.tensor(batch.xs, [batch.size, ...shape]), tf.tensor1d(batch.ys, "int32")];
}

/** 0..n-1 in order. */
export function identityOrder(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}
