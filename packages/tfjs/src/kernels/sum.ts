import {
  type KernelConfig,
  type KernelFunc,
  Sum,
  type SumAttrs,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import { runWasm, type WasmKernelArgs } from "./wasm-kernel-utils.ts";

/**
 * Sum over every axis but the last: the bias gradient of a channels-last convolution or dense
 * layer (dy [B, H, W, C] → [C]). The stock wasm kernel transposes the whole input first so the
 * reduced axes are innermost, then sums; this one reads the input as it lies, adding row after
 * row into one float32 accumulator a channel. Each channel's values are added in the same order
 * with the same float32 rounding as the stock kernel, so the result is the same bits (an empty
 * input sums to zeros, where the stock kernel returns uninitialised memory). Every other
 * reduction, axes given out of order included, goes to the stock kernel.
 */
function sum(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const x = inputs.x!;
  const { axis, keepDims } = args.attrs as unknown as SumAttrs;
  const rank = x.shape.length;
  // In the order given: the stock kernel sums the reduced axes in that order.
  const axes = util.parseAxisParam(axis, x.shape);
  const channels = x.shape[rank - 1] ?? 0;
  const size = util.sizeFromShape(x.shape);
  const allButLast = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
  if (!allButLast || x.dtype !== "float32" || channels === 0) {
    return runWasm(Sum, backend, inputs, args.attrs);
  }
  const shape = keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels];
  const out = backend.makeOutput(shape, "float32");
  const acc = backend.typedArrayFromHeap(out) as Float32Array;
  const values = backend.typedArrayFromHeap(x) as Float32Array;
  acc.fill(0);
  for (let row = 0; row < size; row += channels) {
    for (let c = 0; c < channels; c++) acc[c] = acc[c]! + values[row + c]!;
  }
  return out;
}

export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: "wasm",
  kernelFunc: sum as unknown as KernelFunc,
};
