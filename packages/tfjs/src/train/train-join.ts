import { join } from "node:path";
import type { StepContext } from "@tipi/core";
import { Data } from "../permanences/data.ts";
import { Device } from "../permanences/device.ts";
import { Hyperparameters } from "../permanences/hyperparameters.ts";
import { Network } from "../permanences/network.ts";
import { needingPermanences } from "./needs-permanences.ts";
import { type TrainResult, train } from "./train-loop.ts";

/** `TState` (when it is an object, e.g. not the `void` of a fresh pipeline) plus `TAdd`. */
export type WithResult<TState, TAdd> = (TState extends object ? TState : unknown) & TAdd;

/** The part of a step context the train join uses; any pipeline's `ctx` fits. */
export type TrainContext = Pick<StepContext, "signal" | "emit" | "step" | "runDir"> & {
  get(name: string): unknown;
};

/** Which permanences (by provided name) the join reads, and what it saves. */
export interface TrainJoinOptions {
  /** Default `network`. */
  readonly network?: string;
  /** Default `data`. */
  readonly data?: string;
  /** Default `hyperparameters`. */
  readonly hyperparameters?: string;
  /**
   * The Device whose `workers` sets the replica count. Default `device`; without one the join
   * trains with `"auto"`.
   */
  readonly device?: string;
  /** Save the trained model to `<runDir>/model` (tfjs-layers format). Default true. */
  readonly saveModel?: boolean;
}

function permanence<T>(
  ctx: TrainContext,
  name: string,
  cls: abstract new (...args: never[]) => T,
): T {
  let value: unknown;
  try {
    value = ctx.get(name);
  } catch (cause) {
    throw new Error(`the train join needs a ${cls.name} permanence named "${name}"`, { cause });
  }
  if (!(value instanceof cls)) {
    throw new Error(`the train join needs a ${cls.name} permanence named "${name}"`);
  }
  return value;
}

/** The permanence named `name` when the pipeline provides one of class `cls`. */
function optionalPermanence<T>(
  ctx: TrainContext,
  name: string,
  cls: abstract new (...args: never[]) => T,
): T | undefined {
  try {
    const value = ctx.get(name);
    return value instanceof cls ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Trains the `network` permanence on the `data` permanence with the `hyperparameters`
 * permanence, through {@link train}: checkpoints into `<runDir>/checkpoints` (resumed from
 * when the run was started with `--resume`), progress and metric events on `ctx.emit`,
 * stopping at a batch boundary when `ctx.signal` aborts, with a checkpoint of that step that
 * the Network's interrupt checkpoint waits for.
 */
export async function trainWithPermanences(
  ctx: TrainContext,
  options: TrainJoinOptions = {},
): Promise<TrainResult> {
  const network = permanence(ctx, options.network ?? "network", Network);
  const data = permanence(ctx, options.data ?? "data", Data);
  const hp = permanence(ctx, options.hyperparameters ?? "hyperparameters", Hyperparameters);
  const device = optionalPermanence(ctx, options.device ?? "device", Device);
  const v = hp.values;
  const augment = data.augment;
  const earlyStopping = hp.earlyStopping;
  // Interrupted before training began (the step was abandoned while it loaded): nothing to do.
  if (ctx.signal.aborted) throw ctx.signal.reason;
  // The Network's interrupt checkpoint waits for this: the loop stops at a batch boundary and
  // writes a full training checkpoint before cleanup disposes the model.
  return network.whileTraining(async () => {
    const result = await train({
      model: network.model,
      optimizer: hp.createOptimizer(),
      train: data.train,
      validation: data.val,
      epochs: v.epochs,
      batchSize: v.batchSize,
      learningRate: v.learningRate,
      lrSchedule: hp.lrSchedule,
      seed: v.seed,
      ...(v.clipNorm !== undefined ? { clipNorm: v.clipNorm } : {}),
      ...(earlyStopping ? { earlyStopping } : {}),
      ...(augment ? { augment } : {}),
      ...(ctx.runDir
        ? {
            checkpoint: {
              dir: join(ctx.runDir, "checkpoints"),
              keep: v.keepCheckpoints,
              ...(v.checkpointEvery > 0 ? { everySteps: v.checkpointEvery } : {}),
            },
          }
        : {}),
      resume: network.resumeRequested,
      signal: ctx.signal,
      emit: (e) => ctx.emit(e),
      progressId: ctx.step,
      workers: device?.workers ?? "auto",
    });
    if (ctx.runDir && options.saveModel !== false) await network.save(join(ctx.runDir, "model"));
    return result;
  });
}

/**
 * The default `train` join: `provideJoin("train", trainJoin())`. Adds `training` (the
 * {@link TrainResult}) to the state.
 *
 * @example
 * const pipeline = base.provideJoin("train", trainJoin());
 */
export function trainJoin(options: TrainJoinOptions = {}) {
  return needingPermanences(
    async <TState>(
      state: TState,
      ctx: TrainContext,
    ): Promise<WithResult<TState, { training: TrainResult }>> =>
      ({
        ...(typeof state === "object" ? state : {}),
        training: await trainWithPermanences(ctx, options),
      }) as WithResult<TState, { training: TrainResult }>,
    [
      { option: "network", name: options.network ?? "network", type: Network },
      { option: "data", name: options.data ?? "data", type: Data },
      {
        option: "hyperparameters",
        name: options.hyperparameters ?? "hyperparameters",
        type: Hyperparameters,
      },
    ],
  );
}
