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
  if (top === 0 && left === 0 && strideHeight >= effectiveFilterHeight) {
    if (strideWidth >= effectiveFilterWidth) {
      nonOverlapping(x, dyValues, grad, info);
      return dx;
    }
  }
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

/**
 * Windows that do not overlap and start at 0 (a 2×2 pool with stride 2, the usual case): each
 * window's first pixel seeds the maxima of all channels at once (no reset, no "none yet"
 * test), the others are compared channel vector by channel vector, and dy lands on each
 * channel's first maximum directly.
 */
function nonOverlapping(
  x: Float32Array,
  dy: Float32Array,
  grad: Float32Array,
  info: backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, effectiveFilterHeight, effectiveFilterWidth } = info;
  const best = new Float32Array(channels);
  const where = new Int32Array(channels);
  let dyOffset = 0;
  for (let b = 0; b < batchSize; b++) {
    const imageOffset = b * inHeight * inWidth * channels;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight;
      const yEnd = Math.min(inHeight, y0 + effectiveFilterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth;
        const xEnd = Math.min(inWidth, x0 + effectiveFilterWidth);
        const first = imageOffset + (y0 * inWidth + x0) * channels;
        for (let c = 0; c < channels; c++) {
          best[c] = x[first + c]!;
          where[c] = first + c;
        }
        // The first maximum in row-major order, as the general path (and cpu) picks it.
        for (let y = y0; y < yEnd; y++) {
          for (let xx = y === y0 ? x0 + 1 : x0; xx < xEnd; xx++) {
            const pixel = imageOffset + (y * inWidth + xx) * channels;
            for (let c = 0; c < channels; c++) {
              const value = x[pixel + c]!;
              if (value > best[c]!) {
                best[c] = value;
                where[c] = pixel + c;
              }
            }
          }
        }
        for (let c = 0; c < channels; c++) {
          const at = where[c]!;
          grad[at] = grad[at]! + dy[dyOffset + c]!;
        }
        dyOffset += channels;
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: "wasm",
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
