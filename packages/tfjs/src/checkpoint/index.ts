export { writeFileAtomic } from "./atomic-write.ts";
export {
  type CheckpointData,
  decodeCheckpoint,
  encodeCheckpoint,
  type JsonValue,
  type NamedArray,
} from "./checkpoint-file.ts";
export {
  CheckpointStore,
  type CheckpointStoreOptions,
  type LatestCheckpoint,
  type SkippedCheckpoint,
} from "./checkpoint-store.ts";
export {
  captureOptimizer,
  captureWeights,
  restoreOptimizer,
  restoreWeights,
} from "./model-state.ts";
export { loadModel, saveModel } from "./saved-model.ts";
