import * as tf from "@tensorflow/tfjs-core";

/** Deterministic values in [-1, 1) (a small LCG), so failures reproduce. */
export function randomValues(size: number, seed = 1): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

export interface KernelInput {
  readonly shape: number[];
  readonly values: Float32Array;
}

export interface KernelOutput {
  readonly shape: number[];
  readonly values: Float32Array;
}

/** Runs one kernel by name on `backend` (through the engine, as ops do). */
export async function runKernelOn(
  backend: "wasm" | "cpu",
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: Record<string, unknown>,
): Promise<KernelOutput> {
  await tf.setBackend(backend);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [key, input] of Object.entries(inputs))
    tensors[key] = tf.tensor(input.values, input.shape);
  const out = tf.engine().runKernel(kernelName, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const values = (await out.data()) as Float32Array;
  const shape = out.shape;
  tf.dispose([out, ...Object.values(tensors)]);
  return { shape, values };
}

/** max |a - b| / max |b|: the error relative to the reference's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}

/** Runs a kernel on wasm (tipi's) and cpu (reference) and returns both with their error. */
export async function compareWithCpu(
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: Record<string, unknown>,
): Promise<{ wasm: KernelOutput; cpu: KernelOutput; error: number }> {
  const wasm = await runKernelOn("wasm", kernelName, inputs, attrs);
  const cpu = await runKernelOn("cpu", kernelName, inputs, attrs);
  return { wasm, cpu, error: relativeError(wasm.values, cpu.values) };
}

/** The conv cases every custom conv kernel is checked over. */
export interface ConvCase {
  readonly name: string;
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: "same" | "valid";
}

/** Strides 1 and 2 × same/valid × kernel sizes 1–5, batch 3, a 9×8 image. */
export function convCases(inChannels = 2): ConvCase[] {
  const cases: ConvCase[] = [];
  for (const stride of [1, 2]) {
    for (const pad of ["same", "valid"] as const) {
      for (const kernel of [1, 2, 3, 4, 5]) {
        cases.push({
          name: `k${kernel} s${stride} ${pad} cin${inChannels}`,
          batch: 3,
          height: 9,
          width: 8,
          inChannels,
          outChannels: 3,
          kernel,
          stride,
          pad,
        });
      }
    }
  }
  return cases;
}

/** The forward output size of a conv case (as tfjs computes it). */
export function convOutSize(size: number, c: ConvCase): number {
  return c.pad === "same"
    ? Math.ceil(size / c.stride)
    : Math.ceil((size - c.kernel + 1) / c.stride);
}
