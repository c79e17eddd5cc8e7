export {
  type GpuInfo,
  type GpuQuery,
  parseNvidiaSmiGpus,
  pickGpu,
  queryGpus,
} from "./backend/nvidia-smi.ts";
export {
  BACKEND_ORDER,
  BACKEND_PACKAGES,
  type BackendChoice,
  type BackendName,
  type BackendRequest,
  BackendUnavailableError,
  isBackendRequest,
  type ResolveBackendOptions,
  resolveBackend,
  type SkippedBackend,
} from "./backend/resolve-backend.ts";
export * from "./data/index.ts";
export { CPU_FALLBACK_KERNELS } from "./kernels/cpu-fallback.ts";
export { registerWasmTrainingKernels } from "./kernels/register-wasm-training-kernels.ts";
export {
  Device,
  type DeviceOptions,
  deviceParams,
  type MemoryCheck,
} from "./permanences/device.ts";
