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
  return Math.max(1, Math.min(coresFor(context), Math.floor(context.batchSize / MIN_AUTO_SHARD)));
}

/** The cores `"auto"` counts: `context.cores`, else `TIPI_CORES`, else `os.availableParallelism()`. */
function coresFor(context: WorkersContext): number {
  return context.cores ?? coresFromEnv(context.env ?? process.env) ?? availableParallelism();
}

/**
 * The warning for an explicit count that puts more replica threads than cores to work (each
 * step then waits for replicas that share a core: `workers = 100` on 2 cores trained ~14× slower
 * than `"auto"`). The count is still used, as asked; `undefined` when there is nothing to say
 * (`"auto"`, a GPU run, a backend without replicas, or a count the cores hold).
 * @example
 * oversubscribedWorkers(3, { batchSize: 64, backend: "wasm", cores: 2 })
 * // 'workers = 3 starts 3 replicas on 2 cores: replicas sharing a core …; "auto" picks 2 here. …'
 */
export function oversubscribedWorkers(
  request: WorkersRequest,
  context: WorkersContext,
): string | undefined {
  if (request === "auto" || context.gpus !== undefined) return undefined;
  const count = resolveWorkers(request, context);
  const cores = coresFor(context);
  if (count <= cores) return undefined;
  const env = context.env ?? process.env;
  const source =
    context.cores !== undefined
      ? ""
      : coresFromEnv(env) !== undefined
        ? ` (${CORES_ENV}=${env[CORES_ENV]})`
        : " (os.availableParallelism())";
  const auto = resolveWorkers("auto", context);
  const capped = count < request ? ` (${request} capped at the batch size)` : "";
  return `workers = ${request} starts ${count} replicas${capped} on ${cores} core${cores === 1 ? "" : "s"}${source}: replicas sharing a core make every step wait, so training is slower than with fewer; "auto" picks ${auto} here. Training with ${count}, as asked.`;
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
