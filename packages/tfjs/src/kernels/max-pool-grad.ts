import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { WasmKernelArgs } from "./wasm-kernel-utils.ts";

/**
 * MaxPool's gradient routes each dy value to the first maximum of its window (the cpu backend's
 * rule). Written over the wasm heap with channels innermost, so each window is scanned once for
 * all channels; the stock wasm kernel rescans per channel and per output.
 */
function maxPoolGrad(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const dy = inputs.dy!;
  const input = inputs.input!;
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, effectiveFilterHeight, effectiveFilterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;

  const dx = backend.makeOutput(input.shape, "float32");
  const grad = backend.typedArrayFromHeap(dx) as Float32Array;
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const dyValues = backend.typedArrayFromHeap(dy) as Float32Array;
  grad.fill(0);
  const best = new Float32Array(channels);
  const where = new Int32Array(channels);

  for (let b = 0; b < batchSize; b++) {
    const imageOffset = b * inHeight * inWidth * channels;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(inHeight, y0 + effectiveFilterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(inWidth, x0 + effectiveFilterWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        where.fill(-1);
        for (let y = yStart; y < yEnd; y++) {
          for (let xx = xStart; xx < xEnd; xx++) {
            const pixel = imageOffset + (y * inWidth + xx) * channels;
            for (let c = 0; c < channels; c++) {
              const value = x[pixel + c]!;
              if (value > best[c]! || where[c] === -1) {
                best[c] = value;
                where[c] = pixel + c;
              }
            }
          }
        }
        const dyOffset = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let c = 0; c < channels; c++) {
          const at = where[c]!;
          if (at >= 0) grad[at] = grad[at]! + dyValues[dyOffset + c]!;
        }
      }
    }
  }
  return dx;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: "wasm",
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
