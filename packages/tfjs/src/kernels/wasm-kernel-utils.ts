import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  getKernel,
  type KernelConfig,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from "@tensorflow/tfjs-core";

/** The arguments every kernel function receives, with the wasm backend. */
export interface WasmKernelArgs {
  readonly inputs: NamedTensorInfoMap;
  readonly backend: BackendWasm;
  readonly attrs?: NamedAttrMap;
}

/** Stock wasm kernels tipi replaced, kept so its own kernels can still call them. */
const stockKernels = new Map<string, KernelConfig>();

/** @internal Remembers the stock kernel before tipi's replaces it. */
export function rememberStockKernel(config: KernelConfig): void {
  if (!stockKernels.has(config.kernelName)) stockKernels.set(config.kernelName, config);
}

/** @internal The stock kernel tipi replaced, if it replaced one of that name. */
export function stockKernel(kernelName: string): KernelConfig | undefined {
  return stockKernels.get(kernelName);
}

/** @internal The stock wasm kernel of that name (the original one if tipi replaced it). */
function stockWasmKernel(kernelName: string): KernelConfig {
  const config = stockKernels.get(kernelName) ?? getKernel(kernelName, "wasm");
  if (!config) {
    throw new Error(
      `wasm kernel ${kernelName} is not registered: import @tensorflow/tfjs-backend-wasm first`,
    );
  }
  return config;
}

/**
 * Runs a stock wasm kernel directly: no tape, no engine bookkeeping. The caller owns the result
 * and disposes it with `backend.disposeData` unless it is returned.
 */
export function runWasm(
  kernelName: string,
  backend: BackendWasm,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const out = stockWasmKernel(kernelName).kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${kernelName} returned several outputs`);
  return out as TensorInfo;
}

/** Collects intermediate tensors of one kernel call and frees them together. */
export class Intermediates {
  readonly #infos: TensorInfo[] = [];
  constructor(private readonly backend: BackendWasm) {}

  keep(info: TensorInfo): TensorInfo {
    this.#infos.push(info);
    return info;
  }

  dispose(): void {
    for (const info of this.#infos.splice(0)) this.backend.disposeData(info.dataId);
  }
}

/** The `[height, width]` pair of a `number | [number, number]` attribute. */
export function pair(value: number | readonly [number, number]): [number, number] {
  return typeof value === "number" ? [value, value] : [value[0], value[1]];
}
