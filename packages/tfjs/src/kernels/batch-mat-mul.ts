import {
  _FusedMatMul,
  BatchMatMul,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { Intermediates, runWasm, type WasmKernelArgs } from "./wasm-kernel-utils.ts";

/** The permutation that swaps the last two axes of a rank-`rank` tensor. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, axis) => axis);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/**
 * Wraps a stock wasm matmul kernel so that `transposeA`/`transposeB` become an explicit Transpose
 * first: XNNPACK's packed GEMM only runs fast on untransposed operands, and the transposed path
 * is the one every backward pass (dA = dy·Bᵀ, dB = Aᵀ·dy) takes.
 */
function explicitTranspose(kernelName: string) {
  return (args: WasmKernelArgs): TensorInfo => {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as BatchMatMulAttrs;
    if (!attrs.transposeA && !attrs.transposeB) {
      return runWasm(kernelName, backend, inputs, args.attrs);
    }
    const scratch = new Intermediates(backend);
    try {
      const transpose = (x: TensorInfo) =>
        scratch.keep(runWasm("Transpose", backend, { x }, { perm: swapLastTwo(x.shape.length) }));
      const a = attrs.transposeA ? transpose(inputs.a!) : inputs.a!;
      const b = attrs.transposeB ? transpose(inputs.b!) : inputs.b!;
      return runWasm(
        kernelName,
        backend,
        { ...inputs, a, b },
        { ...args.attrs, transposeA: false, transposeB: false },
      );
    } finally {
      scratch.dispose();
    }
  };
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: "wasm",
  kernelFunc: explicitTranspose(BatchMatMul) as unknown as KernelFunc,
};

export const fusedMatMulConfig: KernelConfig = {
  kernelName: _FusedMatMul,
  backendName: "wasm",
  kernelFunc: explicitTranspose(_FusedMatMul) as unknown as KernelFunc,
};
