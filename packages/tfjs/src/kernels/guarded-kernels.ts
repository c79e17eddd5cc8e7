import {
  _FusedMatMul,
  AvgPool,
  AvgPoolGrad,
  BatchMatMul,
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNative,
  FusedConv2D,
  FusedDepthwiseConv2D,
  type KernelConfig,
  type KernelFunc,
  MaxPool,
  MaxPoolGrad,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { runOnCpu } from "./cpu-fallback.ts";
import { runWasm, type WasmKernelArgs } from "./wasm-kernel-utils.ts";

/**
 * Kernels whose wasm code (XNNPACK, or tipi's own) breaks on empty tensors: an input or an output
 * with a dimension of 0 (a 3×3 "valid" convolution of a 2×2 map, a 2×2 pool of a 1×1 map, a
 * matmul over 0 features). The stock wasm Conv2D then writes out of bounds, which poisons the
 * wasm heap for every later kernel ("memory access out of bounds"), and _FusedMatMul returns a
 * malformed shape that later kernels loop over forever. tipi sends such calls to the cpu
 * backend instead: they move no data, and cpu's result is the reference.
 *
 * The convolutions also get `"same"` padding as the explicit numbers tfjs computes: XNNPACK's own
 * SAME padding returns zeros when the stride is larger than the kernel and the last window ends
 * before the map does (1×3 map, 2×2 kernel, stride 3).
 */
export const GUARDED_KERNELS = [
  Conv2D,
  FusedConv2D,
  DepthwiseConv2dNative,
  FusedDepthwiseConv2D,
  MaxPool,
  AvgPool,
  AvgPoolGrad,
  BatchMatMul,
  _FusedMatMul,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  MaxPoolGrad,
] as const;

type Shape4 = [number, number, number, number];

/** Whether a call has an empty input, or would produce an empty (or negative) output map. */
function isEmptyCall(kernelName: string, args: WasmKernelArgs): boolean {
  for (const info of Object.values(args.inputs)) {
    if (info?.shape.some((d) => d <= 0)) return true;
  }
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  const x = args.inputs.x;
  if (x === undefined || x.shape.length !== 4) return false;
  let info: { outHeight: number; outWidth: number } | undefined;
  if (kernelName === MaxPool || kernelName === AvgPool) {
    info = backend_util.computePool2DInfo(
      x.shape as Shape4,
      attrs.filterSize as [number, number],
      attrs.strides as [number, number],
      1,
      attrs.pad as "valid",
      attrs.dimRoundingMode as "floor" | undefined,
    );
  } else if (args.inputs.filter !== undefined) {
    const depthwise = kernelName === DepthwiseConv2dNative || kernelName === FusedDepthwiseConv2D;
    info = backend_util.computeConv2DInfo(
      x.shape as Shape4,
      args.inputs.filter.shape as Shape4,
      attrs.strides as [number, number],
      (attrs.dilations as [number, number] | undefined) ?? 1,
      attrs.pad as "valid",
      attrs.dimRoundingMode as "floor" | undefined,
      depthwise,
      backend_util.convertConv2DDataFormat((attrs.dataFormat as "NHWC" | undefined) ?? "NHWC"),
    );
  }
  return info !== undefined && (info.outHeight <= 0 || info.outWidth <= 0);
}

const FORWARD_CONVOLUTIONS = new Set<string>([
  Conv2D,
  FusedConv2D,
  DepthwiseConv2dNative,
  FusedDepthwiseConv2D,
]);

/** A forward convolution's `"same"` padding as explicit `[[0,0],[top,bottom],[left,right],[0,0]]`. */
function explicitSamePadding(kernelName: string, args: WasmKernelArgs): WasmKernelArgs {
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  const x = args.inputs.x;
  const filter = args.inputs.filter;
  if (attrs.pad !== "same" || x === undefined || filter === undefined) return args;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") return args;
  const { padInfo } = backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    attrs.strides as [number, number],
    (attrs.dilations as [number, number] | undefined) ?? 1,
    "same",
    undefined,
    kernelName === DepthwiseConv2dNative || kernelName === FusedDepthwiseConv2D,
  );
  const pad = [
    [0, 0],
    [padInfo.top, padInfo.bottom],
    [padInfo.left, padInfo.right],
    [0, 0],
  ];
  return { ...args, attrs: { ...args.attrs, pad } as WasmKernelArgs["attrs"] };
}

/**
 * `config` (tipi's kernel, or the stock one when `config` is undefined) with empty calls on cpu
 * and a forward convolution's `"same"` padding made explicit.
 */
export function guardedKernel(kernelName: string, config?: KernelConfig): KernelConfig {
  const run =
    config === undefined
      ? (args: WasmKernelArgs) => runWasm(kernelName, args.backend, args.inputs, args.attrs)
      : (config.kernelFunc as unknown as (args: WasmKernelArgs) => TensorInfo | TensorInfo[]);
  const convolution = FORWARD_CONVOLUTIONS.has(kernelName);
  const kernelFunc = (args: WasmKernelArgs) => {
    if (isEmptyCall(kernelName, args)) return runOnCpu(kernelName, args);
    return run(convolution ? explicitSamePadding(kernelName, args) : args);
  };
  return {
    ...(config ?? {}),
    kernelName,
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
