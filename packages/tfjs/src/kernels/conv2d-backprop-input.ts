import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { Intermediates, runWasm, type WasmKernelArgs } from "./wasm-kernel-utils.ts";

/**
 * The input gradient of Conv2D as a plain (XNNPACK) Conv2D: dy, with stride−1 zeros inserted
 * between its pixels and padded by kernel−1−pad, convolved with the filter reversed in space and
 * with its channel axes swapped. The stock wasm kernel is a scalar loop several times slower.
 */
function conv2DBackpropInput(args: WasmKernelArgs): TensorInfo | TensorInfo[] {
  const { inputs, backend } = args;
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    args.attrs as unknown as Conv2DBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== "channelsLast")
    return runWasm(Conv2DBackpropInput, backend, inputs, args.attrs);

  const { batchSize, inHeight, inWidth, inChannels, outChannels } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const [, outHeight, outWidth] = dy.shape as [number, number, number, number];
  // Row r of dy lands at row kh-1-top + r·sh of the padded, dilated map; a valid kh×kw conv of a
  // map with inHeight+kh-1 rows then yields exactly inHeight rows.
  const offsetTop = kh - 1 - info.padInfo.top;
  const offsetLeft = kw - 1 - info.padInfo.left;
  const paddedHeight = inHeight + kh - 1;
  const paddedWidth = inWidth + kw - 1;

  const scratch = new Intermediates(backend);
  try {
    const spread = scratch.keep(
      backend.makeOutput([batchSize, paddedHeight, paddedWidth, outChannels], "float32"),
    );
    const flipped = scratch.keep(backend.makeOutput([kh, kw, outChannels, inChannels], "float32"));
    // Views are taken after every allocation: growing the wasm heap detaches older views.
    const target = backend.typedArrayFromHeap(spread) as Float32Array;
    const source = backend.typedArrayFromHeap(dy) as Float32Array;
    target.fill(0);
    for (let b = 0; b < batchSize; b++) {
      for (let y = 0; y < outHeight; y++) {
        const row = offsetTop + y * sh;
        if (row < 0 || row >= paddedHeight) continue;
        for (let x = 0; x < outWidth; x++) {
          const col = offsetLeft + x * sw;
          if (col < 0 || col >= paddedWidth) continue;
          const from = ((b * outHeight + y) * outWidth + x) * outChannels;
          const to = ((b * paddedHeight + row) * paddedWidth + col) * outChannels;
          target.set(source.subarray(from, from + outChannels), to);
        }
      }
    }
    const weights = backend.typedArrayFromHeap(filter) as Float32Array;
    const reversed = backend.typedArrayFromHeap(flipped) as Float32Array;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * inChannels * outChannels;
        const to = (i * kw + j) * outChannels * inChannels;
        for (let ci = 0; ci < inChannels; ci++) {
          for (let co = 0; co < outChannels; co++) {
            reversed[to + co * inChannels + ci] = weights[from + ci * outChannels + co]!;
          }
        }
      }
    }
    return runWasm(
      "Conv2D",
      backend,
      { x: spread, filter: flipped },
      { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] },
    );
  } finally {
    scratch.dispose();
  }
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: "wasm",
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
