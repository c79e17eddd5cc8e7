import "@tensorflow/tfjs-backend-cpu";
import {
  engine,
  getKernel,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { WasmKernelArgs } from "./wasm-kernel-utils.ts";

/**
 * Kernels the wasm backend lacks that tipi runs on the cpu backend instead. They are rare in
 * training (depthwise convolutions, segment sums, einsum, ragged ops); complex and string kernels
 * are left out because their tensors cannot be copied as plain values.
 */
export const CPU_FALLBACK_KERNELS = [
  "DepthwiseConv2dNativeBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
  "Einsum",
  "UnsortedSegmentSum",
  "RaggedGather",
  "RaggedRange",
  "RaggedTensorToTensor",
] as const;

/**
 * A wasm kernel that copies its inputs to the cpu backend, runs the cpu kernel and copies the
 * outputs back. Exact (same code as cpu), and fine for kernels that are not on the hot path.
 */
export function cpuFallbackKernel(kernelName: string): KernelConfig {
  const kernelFunc = (args: WasmKernelArgs) => runOnCpu(kernelName, args);
  return { kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** @internal Runs `kernelName` on the cpu backend with wasm tensors. */
export function runOnCpu(
  kernelName: string,
  { inputs, backend, attrs }: WasmKernelArgs,
): TensorInfo | TensorInfo[] {
  const kernel = getKernel(kernelName, "cpu");
  if (!kernel) throw new Error(`cpu kernel ${kernelName} is not registered`);
  const cpu: KernelBackend = engine().findBackend("cpu");
  const moved: NamedTensorInfoMap = {};
  for (const [key, info] of Object.entries(inputs)) {
    if (!info) continue;
    const values = backend.readSync(info.dataId);
    moved[key] = {
      dataId: cpu.write(values, info.shape, info.dtype),
      shape: info.shape,
      dtype: info.dtype,
    };
  }
  try {
    const result = kernel.kernelFunc({ inputs: moved, backend: cpu, attrs: attrs ?? {} });
    const outputs = Array.isArray(result) ? result : [result];
    const back = outputs.map((out) => {
      const values = cpu.readSync(out.dataId);
      cpu.disposeData(out.dataId);
      return {
        dataId: backend.write(values, out.shape, out.dtype),
        shape: out.shape,
        dtype: out.dtype,
      };
    });
    return Array.isArray(result) ? back : back[0]!;
  } finally {
    for (const info of Object.values(moved)) if (info) cpu.disposeData(info.dataId);
  }
}
