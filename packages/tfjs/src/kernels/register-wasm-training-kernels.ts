import {
  getKernel,
  type KernelConfig,
  registerKernel,
  unregisterKernel,
} from "@tensorflow/tfjs-core";
import { batchMatMulConfig, fusedMatMulConfig } from "./batch-mat-mul.ts";
import { conv2DBackpropFilterConfig } from "./conv2d-backprop-filter.ts";
import { conv2DBackpropInputConfig } from "./conv2d-backprop-input.ts";
import { CPU_FALLBACK_KERNELS, cpuFallbackKernel } from "./cpu-fallback.ts";
import { maxPoolGradConfig } from "./max-pool-grad.ts";
import { rememberStockKernel, stockKernel } from "./wasm-kernel-utils.ts";

/** tipi's wasm kernels: composed and faster ones first, then the cpu fallbacks. */
const TRAINING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  maxPoolGradConfig,
  ...CPU_FALLBACK_KERNELS.map(cpuFallbackKernel),
];

/**
 * Registers the kernels the wasm backend needs for training and replaces slow stock ones.
 * Idempotent. Call it after `@tensorflow/tfjs-backend-wasm` is imported (its import registers the
 * stock kernels and would override these); {@link resolveBackend} does it when it picks wasm.
 *
 * @returns the names of tipi's kernels now registered for wasm.
 */
export function registerWasmTrainingKernels(): string[] {
  if (!getKernel("Conv2D", "wasm")) {
    throw new Error("import @tensorflow/tfjs-backend-wasm before registerWasmTrainingKernels()");
  }
  for (const config of TRAINING_KERNELS) {
    const current = getKernel(config.kernelName, "wasm");
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) {
      rememberStockKernel(current);
      unregisterKernel(config.kernelName, "wasm");
    }
    // A replaced stock kernel keeps its setup: it binds the wasm function tipi's kernel calls.
    const setupFunc = current?.setupFunc ?? config.setupFunc;
    registerKernel(setupFunc ? { ...config, setupFunc } : config);
  }
  return TRAINING_KERNELS.map((config) => config.kernelName);
}

/**
 * Puts the stock wasm kernels back (and removes the ones wasm lacks). For benchmarks and tests
 * that compare against stock tfjs; training afterwards fails on CNNs again.
 */
export function unregisterWasmTrainingKernels(): void {
  for (const config of TRAINING_KERNELS) {
    if (getKernel(config.kernelName, "wasm")?.kernelFunc !== config.kernelFunc) continue;
    unregisterKernel(config.kernelName, "wasm");
    const stock = stockKernel(config.kernelName);
    if (stock) registerKernel(stock);
  }
}
