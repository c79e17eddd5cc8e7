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
import { GUARDED_KERNELS, guardedKernel } from "./guarded-kernels.ts";
import { maxPoolGradConfig } from "./max-pool-grad.ts";
import { sumConfig } from "./sum.ts";
import { rememberStockKernel, stockKernel } from "./wasm-kernel-utils.ts";

/** tipi's own wasm kernels, composed and faster than (or missing from) the stock ones. */
const OWN_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  maxPoolGradConfig,
];

/**
 * tipi's wasm kernels: its own ones and stock ones, guarded against tiny maps (empty calls run on
 * cpu, explicit "same" padding: {@link GUARDED_KERNELS}); then the cpu fallbacks.
 */
const TRAINING_KERNELS: readonly KernelConfig[] = [
  ...GUARDED_KERNELS.map((name) =>
    guardedKernel(
      name,
      OWN_KERNELS.find((config) => config.kernelName === name),
    ),
  ),
  // Not guarded: it hands empty inputs (and every reduction but its own) to the stock kernel.
  sumConfig,
  ...CPU_FALLBACK_KERNELS.map(cpuFallbackKernel),
];

/** The stock kernels wrapped only to be guarded. */
const STOCK_WRAPPED = new Set<string>(
  GUARDED_KERNELS.filter((name) => !OWN_KERNELS.some((own) => own.kernelName === name)),
);

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
  const registered: string[] = [];
  for (const config of TRAINING_KERNELS) {
    const current = getKernel(config.kernelName, "wasm");
    // A stock kernel to guard that this tfjs-backend-wasm does not have: nothing to do.
    if (!current && STOCK_WRAPPED.has(config.kernelName)) continue;
    registered.push(config.kernelName);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) {
      rememberStockKernel(current);
      unregisterKernel(config.kernelName, "wasm");
    }
    // A replaced stock kernel keeps its setup: it binds the wasm function tipi's kernel calls.
    const setupFunc = current?.setupFunc ?? config.setupFunc;
    registerKernel(setupFunc ? { ...config, setupFunc } : config);
  }
  return registered;
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
