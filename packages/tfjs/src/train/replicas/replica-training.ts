import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { TipiEvent } from "@tipi/core";
import { tfCore } from "../../lazy/modules.ts";
import { clipByGlobalNorm } from "../gradients.ts";
import type { OutputKind } from "../losses.ts";
import { ReplicaPool } from "./replica-pool.ts";
import { resolveWorkers, type WorkersRequest } from "./workers.ts";

/**
 * The replica pool {@link train} uses for `workers`, or `undefined` to train on this thread
 * alone (1 replica). With `"auto"`, a pool that cannot start (a custom layer tfjs cannot
 * rebuild from JSON) falls back to 1 with a warning; a number asked for explicitly throws.
 */
export async function startReplicas(options: {
  readonly workers: WorkersRequest;
  readonly model: LayersModel;
  readonly batchSize: number;
  readonly outputKind: OutputKind;
  readonly emit: (event: TipiEvent) => void;
}): Promise<ReplicaPool | undefined> {
  const backend = tfCore().getBackend();
  const count = resolveWorkers(options.workers, { batchSize: options.batchSize, backend });
  if (count < 2) return undefined;
  try {
    const pool = await ReplicaPool.start({
      model: options.model,
      count,
      outputKind: options.outputKind,
    });
    options.emit({
      type: "log",
      level: "info",
      message: `training on ${count} data-parallel replicas (this thread + ${count - 1} worker thread${count > 2 ? "s" : ""}, ${backend})`,
    });
    return pool;
  } catch (error) {
    if (options.workers !== "auto") throw error;
    options.emit({
      type: "log",
      level: "warn",
      message: `training on 1 replica: the replica workers did not start (${(error as Error).message})`,
    });
    return undefined;
  }
}

/**
 * One optimizer step from the replicas' summed gradients of a batch (clipped to `clipNorm`
 * when given). Returns the batch's mean loss and correct count.
 * @example
 * const [loss, correct] = await replicaTrainStep(pool, optimizer, batch, [28, 28, 1]);
 */
export async function replicaTrainStep(
  pool: ReplicaPool,
  optimizer: tf.Optimizer,
  batch: { readonly xs: Float32Array; readonly ys: Int32Array },
  shape: readonly number[],
  clipNorm?: number,
): Promise<[number, number]> {
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
