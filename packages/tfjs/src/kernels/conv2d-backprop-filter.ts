import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { runOnCpu } from "./cpu-fallback.ts";
import { Intermediates, runWasm, type WasmKernelArgs } from "./wasm-kernel-utils.ts";

/** Above this many elements the im2col matrix would crowd the 4 GiB wasm heap. */
const IM2COL_MAX_ELEMENTS = 16 * 1024 * 1024;
/** im2col clearly wins for 1–4 input channels (the first layer on images); at 16 it is a tie. */
const IM2COL_MAX_IN_CHANNELS = 4;

/**
 * The filter gradient of Conv2D, which the wasm backend lacks, built from fast wasm kernels:
 * dW[i,j,ci,co] = Σ_b,y,x x[b, y·s+i-top, x·s+j-left, ci] · dy[b,y,x,co]. Both forms below run
 * on XNNPACK and are 100×+ faster than the cpu backend's loop.
 */
function conv2DBackpropFilter(args: WasmKernelArgs): TensorInfo | TensorInfo[] {
  const { inputs, backend } = args;
  const x = inputs.x!;
  const dy = inputs.dy!;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== "channelsLast") return runOnCpu(Conv2DBackpropFilter, args);
  const patchElements =
    info.filterHeight *
    info.filterWidth *
    info.inChannels *
    info.batchSize *
    info.outHeight *
    info.outWidth;
  if (info.inChannels <= IM2COL_MAX_IN_CHANNELS && patchElements <= IM2COL_MAX_ELEMENTS) {
    return byIm2col(backend, x, dy, info);
  }
  return byConvolution(backend, x, dy, info);
}

/**
 * dW = Pᵀ·dy as one GEMM: P's rows are the kh·kw·Cin patch positions, its columns the B·oh·ow
 * output pixels, so dy is used as it lies ([B·oh·ow, Cout]) and the product is already dW.
 */
function byIm2col(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const pixels = batchSize * outHeight * outWidth;
  const rows = kh * kw * inChannels;

  const patches = backend.makeOutput([1, rows, pixels], "float32");
  try {
    const p = backend.typedArrayFromHeap(patches) as Float32Array;
    const xv = backend.typedArrayFromHeap(x) as Float32Array;
    const step = sw * inChannels;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        // Output columns whose input column j + xx·sw - left lies inside the image.
        const first = Math.min(outWidth, Math.max(0, Math.ceil((left - j) / sw)));
        const end = Math.max(
          first,
          Math.min(outWidth, Math.floor((inWidth - 1 - j + left) / sw) + 1),
        );
        for (let c = 0; c < inChannels; c++) {
          let o = ((i * kw + j) * inChannels + c) * pixels;
          for (let b = 0; b < batchSize; b++) {
            for (let y = 0; y < outHeight; y++) {
              const row = y * sh + i - top;
              if (row < 0 || row >= inHeight) {
                p.fill(0, o, o + outWidth);
                o += outWidth;
                continue;
              }
              let xx = 0;
              for (; xx < first; xx++) p[o++] = 0;
              let from = ((b * inHeight + row) * inWidth + first * sw + j - left) * inChannels + c;
              for (; xx < end; xx++) {
                p[o++] = xv[from]!;
                from += step;
              }
              for (; xx < outWidth; xx++) p[o++] = 0;
            }
          }
        }
      }
    }
    const dyMatrix = { ...dy, shape: [1, pixels, outChannels] };
    const dw = runWasm(
      "BatchMatMul",
      backend,
      { a: patches, b: dyMatrix },
      { transposeA: false, transposeB: false },
    );
    return { ...dw, shape: [kh, kw, inChannels, outChannels] };
  } finally {
    backend.disposeData(patches.dataId);
  }
}

/**
 * dW as a convolution of x seen as [Cin, H, W, B] with dy seen as a [oh, ow, B, Cout] filter,
 * dilated by the forward stride; needs no im2col buffer, so it suits wide layers and big images.
 */
function byConvolution(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { inHeight, inWidth, outHeight, outWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Pad the far side just enough for kh×kw outputs; extra rows are sliced off below.
  const bottom = Math.max(0, kh + sh * (outHeight - 1) - inHeight - top);
  const right = Math.max(0, kw + sw * (outWidth - 1) - inWidth - left);

  const scratch = new Intermediates(backend);
  try {
    const xT = scratch.keep(runWasm("Transpose", backend, { x }, { perm: [3, 1, 2, 0] }));
    const dyT = scratch.keep(runWasm("Transpose", backend, { x: dy }, { perm: [1, 2, 0, 3] }));
    let dw = scratch.keep(
      runWasm(
        "Conv2D",
        backend,
        { x: xT, filter: dyT },
        {
          strides: [1, 1],
          pad: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          dataFormat: "NHWC",
          dilations: [sh, sw],
        },
      ),
    );
    if (dw.shape[1] !== kh || dw.shape[2] !== kw) {
      dw = scratch.keep(
        runWasm(
          "Slice",
          backend,
          { x: dw },
          { begin: [0, 0, 0, 0], size: [info.inChannels, kh, kw, info.outChannels] },
        ),
      );
    }
    return runWasm("Transpose", backend, { x: dw }, { perm: [1, 2, 0, 3] });
  } finally {
    scratch.dispose();
  }
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: "wasm",
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
