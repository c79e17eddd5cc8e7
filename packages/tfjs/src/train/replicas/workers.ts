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

/** Backends whose kernels run on one thread in this process, so worker threads add cores. */
const THREAD_BACKENDS = new Set(["wasm", "cpu"]);

/**
 * The replica count a request means here. `"auto"`: one replica a core
 * (`os.availableParallelism()`), at most one a sample of the batch, and 1 on backends that
 * already use every core themselves (tfjs-node's TensorFlow) or a GPU. A number is taken as
 * it is, except that backends other than wasm and cpu train with 1 (see docs/training.md).
 * @example
 * resolveWorkers("auto", { batchSize: 64, backend: "wasm" }) // 2 on a 2-core machine
 */
export function resolveWorkers(request: WorkersRequest, context: WorkersContext): number {
  if (!THREAD_BACKENDS.has(context.backend)) return 1;
  if (request !== "auto") return Math.max(1, Math.min(request, context.batchSize));
  const cores = context.cores ?? availableParallelism();
  return Math.max(1, Math.min(cores, context.batchSize));
}
