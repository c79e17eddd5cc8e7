/**
 * Per-kernel timings on wasm: tipi's kernels against the stock wasm ones (or the cpu backend
 * where wasm has none), on the shapes of the small CNN and MLP at batch 64. Ratios are what
 * count: the machine is shared, absolute times are noisy.
 *
 *   pnpm tsx bench/kernels.bench.ts
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  registerWasmTrainingKernels,
  resolveBackend,
  unregisterWasmTrainingKernels,
} from "../packages/tfjs/src/index.ts";
import { medianMs, printTable } from "./timing.ts";

interface KernelCase {
  readonly label: string;
  readonly kernel: string;
  readonly inputs: Record<string, number[]>;
  readonly attrs: Record<string, unknown>;
  /** Where the stock baseline runs: wasm's own kernel, or cpu when wasm has none. */
  readonly baseline: "wasm" | "cpu";
}

const conv = { strides: [1, 1], pad: "valid", dataFormat: "NHWC" };
const CASES: KernelCase[] = [
  {
    label: "Conv2DBackpropFilter conv1 (28→26, 1→16)",
    kernel: "Conv2DBackpropFilter",
    inputs: { x: [64, 28, 28, 1], dy: [64, 26, 26, 16] },
    attrs: { ...conv, filterShape: [3, 3, 1, 16] },
    baseline: "cpu",
  },
  {
    label: "Conv2DBackpropFilter conv2 (13→11, 16→32)",
    kernel: "Conv2DBackpropFilter",
    inputs: { x: [64, 13, 13, 16], dy: [64, 11, 11, 32] },
    attrs: { ...conv, filterShape: [3, 3, 16, 32] },
    baseline: "cpu",
  },
  {
    label: "Conv2DBackpropInput conv2 (11→13, 32→16)",
    kernel: "Conv2DBackpropInput",
    inputs: { dy: [64, 11, 11, 32], filter: [3, 3, 16, 32] },
    attrs: { ...conv, inputShape: [64, 13, 13, 16] },
    baseline: "wasm",
  },
  {
    label: "BatchMatMul dW dense1 (Aᵀ·dy, 784×64·64×256)",
    kernel: "BatchMatMul",
    inputs: { a: [1, 64, 784], b: [1, 64, 256] },
    attrs: { transposeA: true, transposeB: false },
    baseline: "wasm",
  },
  {
    label: "BatchMatMul dX dense2 (dy·Bᵀ, 64×128·128×256)",
    kernel: "BatchMatMul",
    inputs: { a: [1, 64, 128], b: [1, 256, 128] },
    attrs: { transposeA: false, transposeB: true },
    baseline: "wasm",
  },
  {
    label: "Conv2D forward conv2 (reference, same FLOPs)",
    kernel: "Conv2D",
    inputs: { x: [64, 13, 13, 16], filter: [3, 3, 16, 32] },
    attrs: { ...conv, dilations: [1, 1] },
    baseline: "wasm",
  },
  {
    label: "MaxPoolGrad pool1 (26→13, 16 ch)",
    kernel: "MaxPoolGrad",
    inputs: { dy: [64, 13, 13, 16], input: [64, 26, 26, 16] },
    attrs: { filterSize: [2, 2], strides: [2, 2], pad: "valid" },
    baseline: "wasm",
  },
  {
    label: "MaxPoolGrad pool2 (11→5, 32 ch)",
    kernel: "MaxPoolGrad",
    inputs: { dy: [64, 5, 5, 32], input: [64, 11, 11, 32] },
    attrs: { filterSize: [2, 2], strides: [2, 2], pad: "valid" },
    baseline: "wasm",
  },
];

async function timeKernel(backend: string, c: KernelCase, runs: number): Promise<number> {
  await tf.setBackend(backend);
  const inputs: Record<string, tf.Tensor> = {};
  for (const [name, shape] of Object.entries(c.inputs)) inputs[name] = tf.randomNormal(shape);
  const ms = await medianMs(
    () => {
      const out = tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor;
      out.dataSync();
      out.dispose();
    },
    { runs, warmup: runs > 1 ? 2 : 0 },
  );
  tf.dispose(Object.values(inputs));
  return ms;
}

await resolveBackend({ backend: "wasm" });
const rows: (string | number)[][] = [
  ["kernel", "baseline", "baseline ms", "tipi ms", "speed-up ×"],
];
for (const c of CASES) {
  unregisterWasmTrainingKernels();
  const baseline = await timeKernel(c.baseline, c, c.baseline === "cpu" ? 1 : 9);
  registerWasmTrainingKernels();
  const tipi = await timeKernel("wasm", c, 9);
  rows.push([
    c.label,
    c.baseline === "cpu" ? "cpu backend" : "stock wasm",
    baseline,
    tipi,
    baseline / tipi,
  ]);
}
printTable(rows);
