import {
  getKernel,
  type KernelConfig,
  registerKernel,
  unregisterKernel,
} from "@tensorflow/tfjs-core";
import { conv2DBackpropFilterConfig } from "./conv2d-backprop-filter.ts";
import { CPU_FALLBACK_KERNELS, cpuFallbackKernel } from "./cpu-fallback.ts";
import { rememberStockKernel } from "./wasm-kernel-utils.ts";

/** tipi's wasm kernels: composed ones first, then the cpu fallbacks. */
function trainingKernels(): KernelConfig[] {
  return [conv2DBackpropFilterConfig];
}

const fallbacks = new Map<string, KernelConfig>();

function fallbackConfigs(): KernelConfig[] {
  return CPU_FALLBACK_KERNELS.map((name) => {
    let config = fallbacks.get(name);
    if (!config) {
      config = cpuFallbackKernel(name);
      fallbacks.set(name, config);
    }
    return config;
  });
}

/**
 * Registers the kernels the wasm backend needs for training (and replaces slow stock ones).
 * Idempotent. Call it after `@tensorflow/tfjs-backend-wasm` is imported (its import registers the
 * stock kernels and would override these); {@link resolveBackend} does it when it picks wasm.
 *
 * @returns the names of tipi's kernels now registered for wasm.
 */
export function registerWasmTrainingKernels(): string[] {
  if (!getKernel("Conv2D", "wasm")) {
    throw new Error("import @tensorflow/tfjs-backend-wasm before registerWasmTrainingKernels()");
  }
  const names: string[] = [];
  for (const config of [...trainingKernels(), ...fallbackConfigs()]) {
    const current = getKernel(config.kernelName, "wasm");
    names.push(config.kernelName);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) {
      rememberStockKernel(current);
      unregisterKernel(config.kernelName, "wasm");
    }
    // A replaced stock kernel keeps its setup (it binds the wasm function tipi's kernel may call).
    const setupFunc = current?.setupFunc ?? config.setupFunc;
    registerKernel(setupFunc ? { ...config, setupFunc } : config);
  }
  return names;
}
