import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { tfCore } from "../lazy/modules.ts";
import type { NamedArray } from "./checkpoint-file.ts";

const MODEL = "model/";
const OPTIMIZER = "optimizer/";
const OPTIMIZER_EXTRA = "optimizer-extra/";

/** Adam and Adamax keep running powers of beta that `setWeights` recomputes with `pow`, which is
 * not bit-identical to the running product; we save and restore them exactly. */
const EXTRA_SCALARS = ["accBeta1", "accBeta2"] as const;

function toArray(name: string, tensor: tf.Tensor): NamedArray {
  const dtype = tensor.dtype === "int32" ? "int32" : "float32";
  const values = tensor.dataSync();
  const data = dtype === "int32" ? Int32Array.from(values) : Float32Array.from(values);
  return { name, shape: tensor.shape, dtype, data };
}

function toTensor(a: NamedArray): tf.Tensor {
  return tfCore().tensor(a.data, [...a.shape], a.dtype);
}

/** The model's weights (trainable and not, in `model.weights` order) as plain arrays. */
export function captureWeights(model: LayersModel, prefix = MODEL): NamedArray[] {
  return model.weights.map((w, i) => toArray(`${prefix}${i}:${w.originalName}`, w.read()));
}

/** Writes arrays captured by {@link captureWeights} back into `model` (matched by position). */
export function restoreWeights(
  model: LayersModel,
  arrays: readonly NamedArray[],
  prefix = MODEL,
): void {
  const weights = arrays.filter((a) => a.name.startsWith(prefix));
  if (weights.length !== model.weights.length) {
    throw new Error(
      `checkpoint holds ${weights.length} model weights, the model has ${model.weights.length}`,
    );
  }
  const tensors = weights.map((a, i) => {
    const expected = model.weights[i]!.shape;
    if (expected.join() !== a.shape.join()) {
      throw new Error(`weight ${a.name}: checkpoint shape [${a.shape}] ≠ model [${expected}]`);
    }
    return toTensor(a);
  });
  model.setWeights(tensors);
  tfCore().dispose(tensors);
}

type OptimizerInternals = Partial<Record<(typeof EXTRA_SCALARS)[number], tf.Variable>>;

/** The optimizer's state (iterations, moments, …) as plain arrays. */
export async function captureOptimizer(optimizer: tf.Optimizer): Promise<NamedArray[]> {
  const tf = tfCore();
  const named = await optimizer.getWeights();
  const arrays = named.map((w, i) => toArray(`${OPTIMIZER}${i}:${w.name}`, w.tensor));
  // getWeights wraps the iteration count in a fresh scalar we own.
  named[0]?.tensor.dispose();
  const internals = optimizer as unknown as OptimizerInternals;
  for (const key of EXTRA_SCALARS) {
    const v = internals[key];
    if (v instanceof tf.Variable) arrays.push(toArray(`${OPTIMIZER_EXTRA}${key}`, v));
  }
  return arrays;
}

/** Restores state captured by {@link captureOptimizer} into an optimizer of the same kind. */
export async function restoreOptimizer(
  optimizer: tf.Optimizer,
  arrays: readonly NamedArray[],
): Promise<void> {
  const tf = tfCore();
  const state = arrays.filter((a) => a.name.startsWith(OPTIMIZER));
  const named = state.map((a) => ({
    name: a.name.replace(/^optimizer\/\d+:/, ""),
    tensor: toTensor(a),
  }));
  await optimizer.setWeights(named);
  // setWeights copies moments into new variables; the iteration scalar is only read.
  tf.dispose(named.map((n) => n.tensor));
  const internals = optimizer as unknown as OptimizerInternals;
  for (const key of EXTRA_SCALARS) {
    const saved = arrays.find((a) => a.name === `${OPTIMIZER_EXTRA}${key}`);
    const v = internals[key];
    if (saved && v instanceof tf.Variable) {
      tf.tidy(() => v.assign(toTensor(saved) as tf.Scalar));
    }
  }
}
