import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { TipiEvent } from "@tipi/core";
import { type GpuReplicaPlan, gpuReplicaPlan } from "../../backend/resolve-backend.ts";
import { evaluateModel } from "../../evaluate/evaluate.ts";
import { tfCore } from "../../lazy/modules.ts";
import type { LabelledArrays } from "../batch.ts";
import { isPlainAdam } from "../fused-adam.ts";
import { clipByGlobalNorm } from "../gradients.ts";
import type { OutputKind } from "../losses.ts";
import { ProcessReplicaPool } from "./process-replica-pool.ts";
import { ReplicaPool } from "./replica-pool.ts";
import type { Replicas } from "./replicas.ts";
import { oversubscribedWorkers, resolveWorkers, type WorkersRequest } from "./workers.ts";

/**
 * The replicas {@link train} uses for `workers`, or `undefined` to train on this thread alone
 * (1 replica): worker threads on wasm / cpu, one process per GPU on tfjs-node-gpu with several
 * GPUs visible (docs/training.md, "Several GPUs"). With `"auto"`, replicas that cannot start
 * (a custom layer tfjs cannot rebuild from JSON, a GPU that fails to initialise) fall back to 1
 * with a warning; a number asked for explicitly throws.
 */
export async function startReplicas(options: {
  readonly workers: WorkersRequest;
  readonly model: LayersModel;
  readonly batchSize: number;
  readonly outputKind: OutputKind;
  readonly emit: (event: TipiEvent) => void;
  /** The GPUs to train on. Default: those of the tfjs-node-gpu this process loaded, if any. */
  readonly gpus?: GpuReplicaPlan;
}): Promise<Replicas | undefined> {
  const backend = tfCore().getBackend();
  const gpus = options.gpus ?? (backend === "tensorflow" ? gpuReplicaPlan() : undefined);
  const context = {
    batchSize: options.batchSize,
    backend,
    ...(gpus ? { gpus: gpus.devices.length } : {}),
  };
  const count = resolveWorkers(options.workers, context);
  const oversubscribed = oversubscribedWorkers(options.workers, context);
  if (oversubscribed) options.emit({ type: "log", level: "warn", message: oversubscribed });
  if (count < 2) return undefined;
  const what = gpus ? "replica processes" : "replica workers";
  try {
    const pool = gpus
      ? await ProcessReplicaPool.start({
          model: options.model,
          count,
          outputKind: options.outputKind,
          devices: gpus.devices.slice(1, count),
          backend: "tensorflow-gpu",
          resolvePaths: gpus.resolvePaths,
          ...(gpus.nvidiaSmi ? { nvidiaSmi: gpus.nvidiaSmi } : {}),
        })
      : await ReplicaPool.start({ model: options.model, count, outputKind: options.outputKind });
    const others = count - 1;
    const where = gpus
      ? `this process on CUDA_VISIBLE_DEVICES=${gpus.devices[0]} + ${others} process${others > 1 ? "es" : ""} on ${gpus.devices.slice(1, count).join(", ")}, one GPU each`
      : `this thread + ${others} worker thread${others > 1 ? "s" : ""}, ${backend}`;
    options.emit({
      type: "log",
      level: "info",
      message: `training on ${count} data-parallel replicas (${where})`,
    });
    return pool;
  } catch (error) {
    if (options.workers !== "auto") throw error;
    options.emit({
      type: "log",
      level: "warn",
      message: `training on 1 replica: the ${what} did not start (${(error as Error).message})`,
    });
    return undefined;
  }
}

/**
 * One optimizer step from the replicas' summed gradients of a batch (clipped to `clipNorm`
 * when given). Returns the batch's mean loss and correct count. With worker replicas, tfjs's
 * Adam and no clipping, the update runs on the pool's shared memory (`ReplicaPool.trainStep`:
 * the same bits, a fraction of the time); the optimizer's state is then current after
 * `pool.syncOptimizer()` or `pool.close()`.
 * @example
 * const [loss, correct] = await replicaTrainStep(pool, optimizer, batch, [28, 28, 1]);
 */
export async function replicaTrainStep(
  pool: Replicas,
  optimizer: tf.Optimizer,
  batch: { readonly xs: Float32Array; readonly ys: Int32Array },
  shape: readonly number[],
  clipNorm?: number,
): Promise<[number, number]> {
  if (pool instanceof ReplicaPool && clipNorm === undefined && isPlainAdam(optimizer)) {
    const { loss, correct } = await pool.trainStep(batch.xs, batch.ys, shape, optimizer);
    return [loss, correct];
  }
  const { loss, correct, grads } = await pool.step(batch.xs, batch.ys, shape);
  tfCore().tidy(() => {
    const named = pool.gradientMap(grads);
    if (clipNorm !== undefined) {
      const clipped = clipByGlobalNorm(
        named.map((g) => g.tensor),
        clipNorm,
      ).grads;
      optimizer.applyGradients(named.map((g, i) => ({ name: g.name, tensor: clipped[i]! })));
    } else {
      optimizer.applyGradients(named);
    }
  });
  return [loss, correct];
}

/**
 * Writes the optimizer state {@link replicaTrainStep} keeps in a worker pool back into the
 * optimizer, so `optimizer.getWeights()` (a checkpoint) reads it; nothing for other replicas.
 * @example
 * syncReplicaOptimizer(pool);
 * const state = await optimizer.getWeights();
 */
export function syncReplicaOptimizer(pool: object): void {
  if (pool instanceof ReplicaPool) pool.syncOptimizer();
}

/**
 * The validation loss and accuracy of `model` on `data`: sharded over a worker pool's
 * replicas when there is one (`ReplicaPool.evaluate`), else one `evaluateModel` pass here.
 * @example
 * const { loss, accuracy } = await replicaEvaluate(pool, model, validation, 256, "probabilities");
 */
export async function replicaEvaluate(
  pool: object | undefined,
  model: LayersModel,
  data: LabelledArrays,
  batchSize: number,
  outputKind: OutputKind,
): Promise<{ readonly loss: number; readonly accuracy: number }> {
  if (pool instanceof ReplicaPool && pool.count > 1) return pool.evaluate(data, batchSize);
  return evaluateModel(model, data, { batchSize, outputKind });
}
