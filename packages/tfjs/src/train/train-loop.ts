import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { TipiEvent } from "@tipi/core";
import type { Augmentation } from "../data/augment.ts";
import { BatchLoader } from "../data/batch-loader.ts";
import type { LabelledArrays } from "./batch.ts";
import type { EarlyStoppingOptions } from "./early-stopping.ts";
import { type OutputKind, outputKindOf } from "./losses.ts";
import type { LrSchedule } from "./lr-schedule.ts";
import { startReplicas } from "./replicas/replica-training.ts";
import type { WorkersRequest } from "./replicas/workers.ts";
import { batchSource, trainOn } from "./training-run.ts";

/** Where and how often {@link train} writes checkpoints. */
export interface CheckpointOptions {
  /** The directory, usually `<runDir>/checkpoints`. */
  readonly dir: string;
  /** Also write one every this many steps (an epoch end always writes one). */
  readonly everySteps?: number;
  /** How many to keep. Default 3. */
  readonly keep?: number;
}

/** Everything {@link train} needs. Only `model`, `train`, `epochs` and `batchSize` are required. */
export interface TrainOptions {
  readonly model: LayersModel;
  /** Default: Adam with `learningRate`. Its state is checkpointed and restored. */
  readonly optimizer?: tf.Optimizer;
  readonly train: LabelledArrays;
  readonly validation?: LabelledArrays;
  readonly epochs: number;
  readonly batchSize: number;
  /** The base learning rate the schedule scales. Default 1e-3. */
  readonly learningRate?: number;
  readonly lrSchedule?: LrSchedule;
  /** Seeds shuffling and augmentation. Default 42. */
  readonly seed?: number;
  /** Clip gradients to this global L2 norm. */
  readonly clipNorm?: number;
  readonly earlyStopping?: EarlyStoppingOptions;
  /**
   * Applied to each NHWC training batch. Its `random` is seeded from the run's seed, the epoch
   * and the batch index, so augmentation is identical after a resume.
   */
  readonly augment?: Augmentation;
  /** Default: inferred from the last layer's activation. */
  readonly outputKind?: OutputKind;
  readonly checkpoint?: CheckpointOptions;
  /** Continue from the newest checkpoint in `checkpoint.dir` when there is one. */
  readonly resume?: boolean;
  /** Aborting stops at the next batch boundary, writes a checkpoint, and throws `signal.reason`. */
  readonly signal?: AbortSignal;
  /** Receives `progress` and `metric` events (a pipeline passes `ctx.emit`). */
  readonly emit?: (event: TipiEvent) => void;
  /** Prefix of progress bar ids. Default `train`. */
  readonly progressId?: string;
  /** Emit a batch `metric` event every this many steps. Default 10. */
  readonly metricEverySteps?: number;
  /** Called after each checkpoint is written. */
  readonly onCheckpoint?: (info: { readonly step: number; readonly path: string }) => void;
  /**
   * Data-parallel replicas (worker threads on wasm/cpu, one process per GPU on tfjs-node-gpu):
   * each computes the gradients of its shard of every batch, summed in a fixed order, one
   * optimizer step. `"auto"`: one a core (a GPU), at most one per 16 samples of the batch. Default 1: this thread alone, as before. Results
   * are bit-identical for the same count (see docs/training.md, "Training on every core").
   */
  readonly workers?: WorkersRequest;
  /**
   * Gather and augment batches on a thread of their own, prefetched (bit-identical batches).
   * Default: when training on several replicas or with an augmentation, if the augmentation
   * is built from tipi's own (`flipHorizontal`, `randomCrop`, `gaussianNoise`); a function of
   * one's own runs on the training thread.
   */
  readonly batchThread?: boolean;
}

/** One epoch's metrics. */
export interface EpochRecord {
  readonly epoch: number;
  readonly step: number;
  readonly values: Readonly<Record<string, number>>;
}

/** What {@link train} returns. */
export interface TrainResult {
  readonly epochs: number;
  readonly steps: number;
  readonly history: readonly EpochRecord[];
  readonly stoppedEarly: boolean;
  /** The epoch early stopping judged best, when it ran. */
  readonly bestEpoch?: number;
  /** The step the run continued from, when it resumed. */
  readonly resumedFromStep?: number;
  /** Training samples per second of this process's work (validation excluded). */
  readonly samplesPerSecond: number;
  /** Data-parallel replicas the run trained with (1: no worker threads). */
  readonly workers?: number;
}

/**
 * The default training loop (not `model.fit`): seeded shuffling per epoch, loss/accuracy and
 * validation metrics, early stopping, LR schedule, gradient clipping, progress and metric
 * events, checkpoints of weights + optimizer + position + RNG, and exact resume.
 *
 * @example
 * const result = await train({ model, train: data.train, validation: data.val, epochs: 5,
 *   batchSize: 64, checkpoint: { dir: "runs/x/checkpoints" }, resume: true });
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const emit = options.emit ?? (() => {});
  const replicasAsked = options.workers !== undefined && options.workers !== 1;
  const wantLoader = (withReplicas: boolean) =>
    BatchLoader.canLoad(options.augment) &&
    (options.batchThread ?? (withReplicas || options.augment !== undefined));
  // The batch thread starts while the replicas do (each is a worker to build); it stays only
  // if still wanted once it is known whether the replicas started.
  const [pool, started] = await startBoth(
    replicasAsked
      ? startReplicas({
          workers: options.workers!,
          model: options.model,
          batchSize: options.batchSize,
          outputKind: options.outputKind ?? outputKindOf(options.model),
          emit,
        })
      : undefined,
    wantLoader(replicasAsked) ? BatchLoader.start(batchSource(options)) : undefined,
  );
  const loader = wantLoader(pool !== undefined) ? started : undefined;
  if (started && !loader) await started.close();
  try {
    return await trainOn(options, pool, loader);
  } finally {
    await Promise.all([pool?.close(), loader?.close()]);
  }
}

/** Awaits both starts; when one fails, closes what the other started and throws. */
async function startBoth<P extends { close(): Promise<void> } | undefined>(
  pool: Promise<P> | undefined,
  loader: Promise<BatchLoader> | undefined,
): Promise<[P | undefined, BatchLoader | undefined]> {
  const [p, l] = await Promise.allSettled([pool, loader]);
  if (p.status === "rejected" || l.status === "rejected") {
    await Promise.all([
      p.status === "fulfilled" ? p.value?.close() : undefined,
      l.status === "fulfilled" ? l.value?.close() : undefined,
    ]);
    throw p.status === "rejected" ? p.reason : (l as PromiseRejectedResult).reason;
  }
  return [p.value, l.value];
}
