import { availableParallelism } from "node:os";

/** How many data-parallel replicas to train with: `"auto"` or a count (1 = no worker threads). */
export type WorkersRequest = "auto" | number;

/** What {@link resolveWorkers} weighs. */
export interface WorkersContext {
  readonly batchSize: number;
  /** `tf.getBackend()` of the training thread. */
  readonly backend: string;
  /** Default `os.availableParallelism()`. */
  readonly cores?: number;
}

/**
 * The smallest shard `"auto"` makes: below it a replica's fixed costs (loading the weights,
 * launching ~40 kernels) outweigh its share of the work.
 */
export const MIN_AUTO_SHARD = 16;

/** Backends whose kernels run on one thread in this process, so worker threads add cores. */
const THREAD_BACKENDS = new Set(["wasm", "cpu"]);

/**
 * The replica count a request means here. `"auto"`: one replica a core
 * (`os.availableParallelism()`), at most one per {@link MIN_AUTO_SHARD} samples of the batch
 * (so batch 64 uses at most 4), and 1 on backends that
 * already use every core themselves (tfjs-node's TensorFlow) or a GPU. A number is taken as
 * it is, except that backends other than wasm and cpu train with 1 (see docs/training.md).
 * @example
 * resolveWorkers("auto", { batchSize: 64, backend: "wasm" }) // 2 on a 2-core machine
 */
export function resolveWorkers(request: WorkersRequest, context: WorkersContext): number {
  if (!THREAD_BACKENDS.has(context.backend)) return 1;
  if (request !== "auto") return Math.max(1, Math.min(request, context.batchSize));
  const cores = context.cores ?? availableParallelism();
  return Math.max(1, Math.min(cores, Math.floor(context.batchSize / MIN_AUTO_SHARD)));
}
