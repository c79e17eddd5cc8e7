export { CUDA_LIBRARIES, missingCudaLibraries } from "./backend/cuda-libraries.ts";
export { type GpuPlan, planGpu, TF_LOAD_ENV, type TfLoadVariable } from "./backend/gpu-env.ts";
export {
  type GpuInfo,
  type GpuProcess,
  parseNvidiaSmiApps,
  parseNvidiaSmiGpus,
  pickGpu,
  queryGpuProcesses,
  queryGpus,
} from "./backend/nvidia-smi.ts";
export {
  BACKEND_ORDER,
  BACKEND_PACKAGES,
  type BackendChoice,
  type BackendName,
  type BackendRequest,
  BackendUnavailableError,
  type GpuReplicaPlan,
  gpuReplicaPlan,
  isBackendRequest,
  type ResolveBackendOptions,
  resolveBackend,
  type SkippedBackend,
} from "./backend/resolve-backend.ts";
export * from "./checkpoint/index.ts";
export * from "./data/index.ts";
export {
  type ClassResult,
  type EvaluateOptions,
  type Evaluation,
  evaluateModel,
  evaluateModelAsync,
} from "./evaluate/evaluate.ts";
export {
  type EvaluateStageOptions,
  evaluateStage,
  evaluateWithPermanences,
  evaluationFigures,
} from "./evaluate/evaluate-stage.ts";
export { EvaluationProcess, evaluationProcessParams } from "./evaluate/evaluation-process.ts";
export { CPU_FALLBACK_KERNELS } from "./kernels/cpu-fallback.ts";
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
} from "./kernels/register-wasm-training-kernels.ts";
export { Data, type DataOptions, dataParams } from "./permanences/data.ts";
export {
  Device,
  type DeviceOptions,
  deviceParams,
  type MemoryCheck,
} from "./permanences/device.ts";
export {
  Hyperparameters,
  type HyperparameterValues,
  hyperparametersParams,
} from "./permanences/hyperparameters.ts";
export {
  ArchitectureError,
  Network,
  type NetworkOptions,
  networkParams,
} from "./permanences/network.ts";
export { registerTfjs } from "./registry.ts";
export { deriveSeed, Rng, type RngState } from "./rng.ts";
export {
  ARCHITECTURES,
  type ModelBuilder,
  type ModelSpec,
  mlp,
  seededInitializers,
  smallCnn,
} from "./train/architectures.ts";
export type { Batch as TrainingBatch, LabelledArrays } from "./train/batch.ts";
export {
  type EarlyStoppingOptions,
  type EarlyStoppingState,
  updateEarlyStopping,
} from "./train/early-stopping.ts";
export { clipByGlobalNorm } from "./train/gradients.ts";
export { countCorrect, crossEntropy, type OutputKind, outputKindOf } from "./train/losses.ts";
export { type LrSchedule, learningRateAt, type SchedulePosition } from "./train/lr-schedule.ts";
export {
  ProcessReplicaPool,
  type ProcessReplicaPoolOptions,
  type ReplicaProcess,
} from "./train/replicas/process-replica-pool.ts";
export {
  ReplicaPool,
  type ReplicaPoolOptions,
  type ReplicaStep,
  type ReplicaTimings,
} from "./train/replicas/replica-pool.ts";
export { replicaTrainStep, startReplicas } from "./train/replicas/replica-training.ts";
export type { Replicas } from "./train/replicas/replicas.ts";
export { shardBounds } from "./train/replicas/shard-step.ts";
export {
  resolveWorkers,
  type WorkersContext,
  type WorkersRequest,
} from "./train/replicas/workers.ts";
export {
  type TrainContext,
  type TrainJoinOptions,
  trainJoin,
  trainWithPermanences,
  type WithResult,
} from "./train/train-join.ts";
export {
  type CheckpointOptions,
  type EpochRecord,
  type TrainOptions,
  type TrainResult,
  train,
} from "./train/train-loop.ts";
export { trainResultSchema } from "./train/train-result-schema.ts";
export { TrainingProcess, trainingProcessParams } from "./train/training-process.ts";
