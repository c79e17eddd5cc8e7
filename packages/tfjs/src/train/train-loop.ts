import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { TipiEvent } from "@tipi/core";
import type { JsonValue, NamedArray } from "../checkpoint/checkpoint-file.ts";
import { CheckpointStore } from "../checkpoint/checkpoint-store.ts";
import {
  captureOptimizer,
  captureWeights,
  restoreOptimizer,
  restoreWeights,
} from "../checkpoint/model-state.ts";
import type { Augmentation } from "../data/augment.ts";
import { BatchLoader } from "../data/batch-loader.ts";
import { type BatchSource, batches } from "../data/batches.ts";
import { evaluateModel } from "../evaluate/evaluate.ts";
import { Rng, type RngState } from "../rng.ts";
import { type Batch, batchTensors, type LabelledArrays, sampleShape } from "./batch.ts";
import {
  type EarlyStoppingOptions,
  type EarlyStoppingState,
  initialEarlyStopping,
  updateEarlyStopping,
} from "./early-stopping.ts";
import { clipByGlobalNorm } from "./gradients.ts";
import { countCorrectOnHost, crossEntropy, type OutputKind, outputKindOf } from "./losses.ts";
import { type LrSchedule, learningRateAt } from "./lr-schedule.ts";
import type { ReplicaPool } from "./replicas/replica-pool.ts";
import { replicaTrainStep, startReplicas } from "./replicas/replica-training.ts";
import type { WorkersRequest } from "./replicas/workers.ts";

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
   * Data-parallel replicas (worker threads on wasm/cpu): each computes the gradients of its
   * shard of every batch, summed in a fixed order, one optimizer step. `"auto"`: one a core,
   * at most one per 16 samples of the batch. Default 1: this thread alone, as before. Results
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

interface Sums {
  readonly loss: number;
  readonly correct: number;
  readonly seen: number;
}

const NO_SUMS: Sums = { loss: 0, correct: 0, seen: 0 };

/** The JSON half of a checkpoint: where the loop stands. */
interface LoopState {
  readonly format: 1;
  readonly epoch: number;
  /** Batches of `epoch` already trained. */
  readonly batch: number;
  /** Whether `epoch`'s validation and bookkeeping are done. */
  readonly epochDone: boolean;
  /** Early stopping ended the run (more epochs on resume do not restart it). */
  readonly stoppedEarly: boolean;
  /** The shuffling RNG as it stood at the start of `epoch`. */
  readonly epochRng: RngState;
  readonly sums: Sums;
  /** The sums since the last batch `metric` event (absent in checkpoints of older versions). */
  readonly window?: Sums;
  readonly history: readonly EpochRecord[];
  readonly early: EarlyStoppingState;
  /** Replicas the checkpointed steps were trained with (absent: 1, or an older version). */
  readonly workers?: number;
}

const BEST = "best/";

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as {
    setLearningRate?: (lr: number) => void;
    learningRate: number;
  };
  if (typeof o.setLearningRate === "function") o.setLearningRate(lr);
  else o.learningRate = lr;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

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
  const pool =
    options.workers === undefined || options.workers === 1
      ? undefined
      : await startReplicas({
          workers: options.workers,
          model: options.model,
          batchSize: options.batchSize,
          outputKind: options.outputKind ?? outputKindOf(options.model),
          emit,
        });
  const wantLoader = options.batchThread ?? (pool !== undefined || options.augment !== undefined);
  const loader =
    wantLoader && BatchLoader.canLoad(options.augment)
      ? await BatchLoader.start(batchSource(options))
      : undefined;
  try {
    return await trainOn(options, pool, loader);
  } finally {
    await Promise.all([pool?.close(), loader?.close()]);
  }
}

/** The training set as `batches()` iterates it: with its image shape for an image model. */
function batchSource(options: TrainOptions): BatchSource {
  const shape = sampleShape(options.model);
  if (options.augment && shape.length !== 3) {
    throw new Error("augment needs an image model input [h, w, c]");
  }
  return shape.length === 3
    ? { ...options.train, shape: shape as [number, number, number] }
    : options.train;
}

async function trainOn(
  options: TrainOptions,
  pool: ReplicaPool | undefined,
  loader: BatchLoader | undefined,
): Promise<TrainResult> {
  const { model, epochs, batchSize } = options;
  const data = options.train;
  if (data.length === 0) throw new Error("the training set is empty");
  const baseLr = options.learningRate ?? 1e-3;
  const optimizer = options.optimizer ?? tf.train.adam(baseLr);
  const schedule = options.lrSchedule ?? { kind: "constant" };
  const kind = options.outputKind ?? outputKindOf(model);
  const shape = sampleShape(model);
  const seed = options.seed ?? 42;
  const emit = options.emit ?? (() => {});
  const workers = pool?.count ?? 1;
  const barId = options.progressId ?? "train";
  const metricEvery = Math.max(1, options.metricEverySteps ?? 10);
  const stepsPerEpoch = Math.ceil(data.length / batchSize);
  const store = options.checkpoint
    ? new CheckpointStore(options.checkpoint.dir, { keep: options.checkpoint.keep ?? 3 })
    : undefined;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);

  let state: LoopState = {
    format: 1,
    epoch: 0,
    batch: 0,
    epochDone: false,
    stoppedEarly: false,
    epochRng: Rng.fromSeed(seed).state(),
    sums: NO_SUMS,
    window: NO_SUMS,
    history: [],
    early: initialEarlyStopping,
    ...(workers > 1 ? { workers } : {}),
  };
  let bestWeights: NamedArray[] | undefined;
  let resumedFromStep: number | undefined;

  const saved = options.resume ? store?.latest() : undefined;
  for (const skipped of saved?.skipped ?? []) {
    emit({
      type: "log",
      level: "warn",
      message: `skipped damaged checkpoint ${skipped.path}: ${skipped.reason}`,
    });
  }
  if (options.resume && store && !saved) {
    emit({
      type: "log",
      level: "info",
      message: `no checkpoint in ${store.dir}: training starts at step 0`,
    });
  }
  if (saved) {
    restoreWeights(model, saved.tensors);
    await restoreOptimizer(optimizer, saved.tensors);
    state = saved.state as unknown as LoopState;
    const best = saved.tensors.filter((t) => t.name.startsWith(BEST));
    bestWeights = best.length > 0 ? best : undefined;
    resumedFromStep = saved.step;
    const savedWorkers = state.workers ?? 1;
    if (savedWorkers !== workers) {
      emit({
        type: "log",
        level: "warn",
        message: `the checkpoint was trained with ${savedWorkers} replica(s), this run uses ${workers}: training continues, but not bit-identically to an uninterrupted run`,
      });
    }
    const { workers: _saved, ...rest } = state;
    state = workers > 1 ? { ...rest, workers } : rest;
    emit({
      type: "log",
      level: "info",
      message: `resuming from step ${saved.step} (${saved.path})`,
    });
  }
  let step = state.epoch * stepsPerEpoch + state.batch;

  const checkpoint = async (): Promise<string | undefined> => {
    if (!store) return undefined;
    const tensors = [
      ...captureWeights(model),
      ...(await captureOptimizer(optimizer)),
      ...(bestWeights ?? []),
    ];
    const path = store.save({ step, tensors, state: state as unknown as JsonValue });
    options.onCheckpoint?.({ step, path });
    return path;
  };

  const trainStep = (xs: tf.Tensor, ys: tf.Tensor1D, labels: Int32Array): [number, number] =>
    tf.tidy(() => {
      let outputs: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        // variableGrads disposes everything but the loss and gradients: keep the outputs.
        outputs = tf.keep(model.apply(xs, { training: true }) as tf.Tensor);
        return crossEntropy(outputs, ys, kind);
      }, vars);
      let list = vars.map((v) => grads[v.name]!);
      if (options.clipNorm !== undefined) list = clipByGlobalNorm(list, options.clipNorm).grads;
      optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: list[i]! })));
      // Arg-max on the host: cheaper than four more kernels for a [batch, classes] array.
      const correct = countCorrectOnHost(outputs!.dataSync(), labels);
      outputs!.dispose();
      return [value.dataSync()[0]!, correct];
    });

  const trainOnThisThread = (batch: Batch): [number, number] => {
    const [xs, ys] = batchTensors(batch, shape);
    try {
      return trainStep(xs, ys, batch.ys);
    } finally {
      tf.dispose([xs, ys]);
    }
  };

  const source = batchSource(options);

  let trainedSamples = 0;
  let trainingMs = 0;
  let currentLr = Number.NaN;

  // Replays the RNG from the checkpointed epoch start, so order and seeds match exactly.
  const rng = Rng.fromState(state.epochRng);
  for (let epoch = state.epoch; epoch < epochs && !state.stoppedEarly; epoch++) {
    const epochRng = rng.state();
    const order = rng.permutation(data.length);
    const augmentSeed = rng.nextUint32();
    if (epoch === state.epoch && state.epochDone) continue;
    const resumeBatch = epoch === state.epoch ? state.batch : 0;
    let sums = epoch === state.epoch ? state.sums : NO_SUMS;
    let window = state.window ?? NO_SUMS;
    state = { ...state, epoch, batch: resumeBatch, epochDone: false, epochRng, sums, window };

    emit({
      type: "progress",
      id: `${barId}:epoch`,
      label: "Epoch",
      current: epoch,
      total: epochs,
      unit: "epoch",
    });
    const batchBar = `${barId}:batch:${epoch}`;
    let lastProgress = 0;
    let lastYield = performance.now();

    // batches() derives batch b's augmentation stream from (augmentSeed, b), so starting at
    // resumeBatch yields exactly the batches an uninterrupted epoch would.
    const epochOptions = {
      ...(options.augment ? { augment: options.augment, seed: augmentSeed } : {}),
      startBatch: resumeBatch,
    };
    const epochBatches = loader
      ? loader.batches(order, batchSize, epochOptions)
      : batches(source, order, batchSize, epochOptions);
    for await (const batch of epochBatches) {
      const b = batch.index;
      if (options.signal?.aborted) {
        // The interrupt checkpoint: where this batch boundary stands, resumed from exactly.
        const path = await checkpoint();
        if (path !== undefined) {
          emit({
            type: "log",
            level: "info",
            message: `interrupted at step ${step}: checkpoint ${path}`,
          });
        }
        emit({
          type: "progress",
          id: batchBar,
          label: "Batch",
          current: b,
          total: stepsPerEpoch,
          parent: `${barId}:epoch`,
          done: true,
          status: "interrupted",
        });
        throw options.signal.reason;
      }
      const lr = learningRateAt(schedule, baseLr, { step, stepsPerEpoch, epochs });
      if (lr !== currentLr) {
        currentLr = lr;
        setLearningRate(optimizer, lr);
      }

      const started = performance.now();
      const [loss, correct] = pool
        ? await replicaTrainStep(pool, optimizer, batch, shape, options.clipNorm)
        : trainOnThisThread(batch);
      trainingMs += performance.now() - started;
      trainedSamples += batch.size;
      step++;

      sums = {
        loss: sums.loss + loss * batch.size,
        correct: sums.correct + correct,
        seen: sums.seen + batch.size,
      };
      window = {
        loss: window.loss + loss * batch.size,
        correct: window.correct + correct,
        seen: window.seen + batch.size,
      };
      if (step % metricEvery === 0) {
        emit({
          type: "metric",
          step,
          epoch,
          values: {
            "train/loss": window.loss / window.seen,
            "train/accuracy": window.correct / window.seen,
            lr,
          },
        });
        window = NO_SUMS;
      }
      state = { ...state, batch: b + 1, sums, window };
      const now = performance.now();
      if (now - lastProgress > 100 || b + 1 === stepsPerEpoch) {
        lastProgress = now;
        emit({
          type: "progress",
          id: batchBar,
          label: "Batch",
          current: b + 1,
          total: stepsPerEpoch,
          parent: `${barId}:epoch`,
          unit: "batch",
          status: `loss ${(sums.loss / sums.seen).toFixed(4)} acc ${(sums.correct / sums.seen).toFixed(4)}`,
          ...(b + 1 === stepsPerEpoch ? { done: true } : {}),
        });
      }
      const everySteps = options.checkpoint?.everySteps;
      if (everySteps && step % everySteps === 0 && b + 1 < stepsPerEpoch) await checkpoint();
      // Let signals and timers through now and then; every batch would cost throughput.
      if (now - lastYield > 20) {
        lastYield = now;
        await yieldToEventLoop();
      }
    }

    const values: Record<string, number> = {
      "train/epoch_loss": sums.loss / sums.seen,
      "train/epoch_accuracy": sums.correct / sums.seen,
      lr: currentLr,
    };
    if (options.validation && options.validation.length > 0) {
      const v = evaluateModel(model, options.validation, {
        batchSize: Math.max(batchSize, 256),
        outputKind: kind,
      });
      values["val/loss"] = v.loss;
      values["val/accuracy"] = v.accuracy;
    }
    const record: EpochRecord = { epoch, step, values };
    let stoppedEarly = false;
    let early = state.early;
    if (options.earlyStopping) {
      const verdict = updateEarlyStopping(options.earlyStopping, early, epoch, values);
      early = verdict.state;
      if (verdict.improved && options.earlyStopping.restoreBest)
        bestWeights = captureWeights(model, BEST);
      stoppedEarly = verdict.stop;
    }
    const finished = stoppedEarly || epoch + 1 >= epochs;
    state = { ...state, epochDone: true, stoppedEarly, early, history: [...state.history, record] };
    if (stoppedEarly && bestWeights) restoreWeights(model, bestWeights, BEST);
    await checkpoint();
    emit({ type: "metric", step, epoch, values });
    emit({
      type: "progress",
      id: `${barId}:epoch`,
      label: "Epoch",
      current: epoch + 1,
      total: epochs,
      unit: "epoch",
      ...(finished ? { done: true } : {}),
    });
  }

  return {
    epochs: state.history.length,
    steps: step,
    history: state.history,
    stoppedEarly: state.stoppedEarly,
    ...(options.earlyStopping ? { bestEpoch: state.early.bestEpoch } : {}),
    ...(resumedFromStep !== undefined ? { resumedFromStep } : {}),
    samplesPerSecond: trainingMs > 0 ? (trainedSamples / trainingMs) * 1000 : 0,
    ...(workers > 1 ? { workers } : {}),
  };
}
