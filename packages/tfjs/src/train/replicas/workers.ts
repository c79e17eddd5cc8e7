import { availableParallelism } from "node:os";

/** How many data-parallel replicas to train with: `"auto"` or a count (1 = no worker threads). */
export type WorkersRequest = "auto" | number;

/** What {@link resolveWorkers} weighs. */
export interface WorkersContext {
  readonly batchSize: number;
  /** `tf.getBackend()` of the training thread. */
  readonly backend: string;
  /** The cores `"auto"` may use. Default: `TIPI_CORES` when set, else `os.availableParallelism()`. */
  readonly cores?: number;
  /** Where `TIPI_CORES` is read. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * On tfjs-node-gpu with a GPU confirmed: the GPUs the run may use, one replica process each
   * (`GpuReplicaPlan.devices.length`, this process's included). Absent elsewhere.
   */
  readonly gpus?: number;
}

/**
 * The cores a run may use when something else shares the machine by design: `tipi sweep
 * --parallel n` sets `TIPI_CORES` to its share for each trial, so parallel trials do not
 * oversubscribe the cores with replicas.
 */
export const CORES_ENV = "TIPI_CORES";

function coresFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = Number(env[CORES_ENV]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
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
 * (`TIPI_CORES`, else `os.availableParallelism()`), at most one per {@link MIN_AUTO_SHARD} samples of the batch
 * (so batch 64 uses at most 4), and 1 on tfjs-node's TensorFlow on the CPU (it threads itself).
 * On tfjs-node-gpu (`gpus` given) one replica a GPU, with the same cap. A number is taken as it
 * is (at most the batch size), except that tfjs-node on the CPU trains with 1 (see
 * docs/training.md).
 * @throws Error when a number asks for more replicas than `gpus` on a GPU run.
 * @example
 * resolveWorkers("auto", { batchSize: 64, backend: "wasm" }) // 2 on a 2-core machine
 * resolveWorkers("auto", { batchSize: 64, backend: "tensorflow", gpus: 4 }) // 4
 */
export function resolveWorkers(request: WorkersRequest, context: WorkersContext): number {
  if (context.gpus !== undefined) return gpuWorkers(request, context.gpus, context.batchSize);
  if (!THREAD_BACKENDS.has(context.backend)) return 1;
  if (request !== "auto") return Math.max(1, Math.min(request, context.batchSize));
  const cores = context.cores ?? coresFromEnv(context.env ?? process.env) ?? availableParallelism();
  return Math.max(1, Math.min(cores, Math.floor(context.batchSize / MIN_AUTO_SHARD)));
}

/** One replica process per GPU: `"auto"` takes every GPU (capped as on cores); a number must fit. */
function gpuWorkers(request: WorkersRequest, gpus: number, batchSize: number): number {
  if (request === "auto") {
    return Math.max(1, Math.min(gpus, Math.floor(batchSize / MIN_AUTO_SHARD)));
  }
  if (request > gpus) {
    throw new Error(
      `workers = ${request}, but this run sees ${gpus} GPU${gpus === 1 ? "" : "s"} (one replica process a GPU): set workers to ${gpus} or less, or "auto", or make more GPUs visible (CUDA_VISIBLE_DEVICES)`,
    );
  }
  return Math.max(1, Math.min(request, batchSize));
}
