/**
 * One call of {@link train}, in phases: set up (optimizer, checkpoint store, the loop's
 * state), resume from the newest checkpoint, then per epoch train its batches and close it
 * (validation, early stopping, checkpoint, events).
 */
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
import type { BatchLoader } from "../data/batch-loader.ts";
import { type BatchSource, batches } from "../data/batches.ts";
import { Rng, type RngState } from "../rng.ts";
import { type Batch, batchTensors, sampleShape } from "./batch.ts";
import {
  type EarlyStoppingState,
  initialEarlyStopping,
  updateEarlyStopping,
} from "./early-stopping.ts";
import { clipByGlobalNorm } from "./gradients.ts";
import { countCorrectOnHost, crossEntropy, type OutputKind, outputKindOf } from "./losses.ts";
import { type LrSchedule, learningRateAt } from "./lr-schedule.ts";
import {
  replicaEvaluate,
  replicaTrainStep,
  syncReplicaOptimizer,
} from "./replicas/replica-training.ts";
import type { Replicas } from "./replicas/replicas.ts";
import type { EpochRecord, TrainOptions, TrainResult } from "./train-loop.ts";

interface Sums {
  readonly loss: number;
  readonly correct: number;
  readonly seen: number;
}

const NO_SUMS: Sums = { loss: 0, correct: 0, seen: 0 };

/** `sums` with one more batch of `size` samples, mean loss `loss`, `correct` right. */
function addBatch(sums: Sums, loss: number, correct: number, size: number): Sums {
  return { loss: sums.loss + loss * size, correct: sums.correct + correct, seen: sums.seen + size };
}

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

/** What an epoch draws from the run's RNG, in this order, whether or not it trains. */
interface EpochDraw {
  readonly epochRng: RngState;
  readonly order: Int32Array;
  readonly augmentSeed: number;
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

/** The training set as `batches()` iterates it: with its image shape for an image model. */
export function batchSource(options: TrainOptions): BatchSource {
  const shape = sampleShape(options.model);
  if (options.augment && shape.length !== 3) {
    throw new Error("augment needs an image model input [h, w, c]");
  }
  return shape.length === 3
    ? { ...options.train, shape: shape as [number, number, number] }
    : options.train;
}

/** Trains as {@link train} describes, on this thread or on `pool`'s replicas. */
export async function trainOn(
  options: TrainOptions,
  pool: Replicas | undefined,
  loader: BatchLoader | undefined,
): Promise<TrainResult> {
  const run = new TrainingRun(options, pool, loader);
  await run.resume();
  return run.run();
}

class TrainingRun {
  readonly #options: TrainOptions;
  readonly #pool: Replicas | undefined;
  readonly #loader: BatchLoader | undefined;
  readonly #model: LayersModel;
  readonly #baseLr: number;
  readonly #optimizer: tf.Optimizer;
  readonly #schedule: LrSchedule;
  readonly #kind: OutputKind;
  readonly #shape: number[];
  readonly #emit: (event: TipiEvent) => void;
  readonly #workers: number;
  readonly #barId: string;
  readonly #metricEvery: number;
  readonly #stepsPerEpoch: number;
  readonly #store: CheckpointStore | undefined;
  readonly #vars: tf.Variable[];

  #state: LoopState;
  #bestWeights: NamedArray[] | undefined;
  #resumedFromStep: number | undefined;
  #step = 0;
  #trainedSamples = 0;
  #trainingMs = 0;
  #currentLr = Number.NaN;

  constructor(options: TrainOptions, pool: Replicas | undefined, loader: BatchLoader | undefined) {
    const { model, batchSize } = options;
    if (options.train.length === 0) throw new Error("the training set is empty");
    this.#options = options;
    this.#pool = pool;
    this.#loader = loader;
    this.#model = model;
    this.#baseLr = options.learningRate ?? 1e-3;
    this.#optimizer = options.optimizer ?? tf.train.adam(this.#baseLr);
    this.#schedule = options.lrSchedule ?? { kind: "constant" };
    this.#kind = options.outputKind ?? outputKindOf(model);
    this.#shape = sampleShape(model);
    const seed = options.seed ?? 42;
    this.#emit = options.emit ?? (() => {});
    this.#workers = pool?.count ?? 1;
    this.#barId = options.progressId ?? "train";
    this.#metricEvery = Math.max(1, options.metricEverySteps ?? 10);
    this.#stepsPerEpoch = Math.ceil(options.train.length / batchSize);
    this.#store = options.checkpoint
      ? new CheckpointStore(options.checkpoint.dir, { keep: options.checkpoint.keep ?? 3 })
      : undefined;
    this.#vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.#state = {
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
      ...(this.#workers > 1 ? { workers: this.#workers } : {}),
    };
  }

  /** With `resume`: weights, optimizer, best weights and the loop's state from the newest checkpoint. */
  async resume(): Promise<void> {
    const store = this.#store;
    const emit = this.#emit;
    const workers = this.#workers;
    const saved = this.#options.resume ? store?.latest() : undefined;
    for (const skipped of saved?.skipped ?? []) {
      emit({
        type: "log",
        level: "warn",
        message: `skipped damaged checkpoint ${skipped.path}: ${skipped.reason}`,
      });
    }
    if (this.#options.resume && store && !saved) {
      emit({
        type: "log",
        level: "info",
        message: `no checkpoint in ${store.dir}: training starts at step 0`,
      });
    }
    if (saved) {
      restoreWeights(this.#model, saved.tensors);
      await restoreOptimizer(this.#optimizer, saved.tensors);
      let state = saved.state as unknown as LoopState;
      const best = saved.tensors.filter((t) => t.name.startsWith(BEST));
      this.#bestWeights = best.length > 0 ? best : undefined;
      this.#resumedFromStep = saved.step;
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
      this.#state = state;
      emit({
        type: "log",
        level: "info",
        message: `resuming from step ${saved.step} (${saved.path})`,
      });
    }
    this.#step = this.#state.epoch * this.#stepsPerEpoch + this.#state.batch;
  }

  /** Every epoch left (or until early stopping), then what {@link train} returns. */
  async run(): Promise<TrainResult> {
    const { epochs } = this.#options;
    const source = batchSource(this.#options);
    // Replays the RNG from the checkpointed epoch start, so order and seeds match exactly.
    const rng = Rng.fromState(this.#state.epochRng);
    for (let epoch = this.#state.epoch; epoch < epochs && !this.#state.stoppedEarly; epoch++) {
      const draw: EpochDraw = {
        epochRng: rng.state(),
        order: rng.permutation(this.#options.train.length),
        augmentSeed: rng.nextUint32(),
      };
      if (epoch === this.#state.epoch && this.#state.epochDone) continue;
      const sums = await this.#trainEpoch(epoch, draw, source);
      await this.#endEpoch(epoch, sums);
    }
    return this.#result();
  }

  /** Trains the epoch's batches (from the checkpointed one on resume); returns its sums. */
  async #trainEpoch(epoch: number, draw: EpochDraw, source: BatchSource): Promise<Sums> {
    const { epochs, batchSize } = this.#options;
    const state = this.#state;
    const resumeBatch = epoch === state.epoch ? state.batch : 0;
    let sums = epoch === state.epoch ? state.sums : NO_SUMS;
    let window = state.window ?? NO_SUMS;
    this.#state = {
      ...state,
      epoch,
      batch: resumeBatch,
      epochDone: false,
      epochRng: draw.epochRng,
      sums,
      window,
    };

    this.#emit({
      type: "progress",
      id: `${this.#barId}:epoch`,
      label: "Epoch",
      current: epoch,
      total: epochs,
      unit: "epoch",
    });
    const batchBar = `${this.#barId}:batch:${epoch}`;
    let lastProgress = 0;
    let lastYield = performance.now();

    // batches() derives batch b's augmentation stream from (augmentSeed, b), so starting at
    // resumeBatch yields exactly the batches an uninterrupted epoch would.
    const epochOptions = {
      ...(this.#options.augment ? { augment: this.#options.augment, seed: draw.augmentSeed } : {}),
      startBatch: resumeBatch,
    };
    const epochBatches = this.#loader
      ? this.#loader.batches(draw.order, batchSize, epochOptions)
      : batches(source, draw.order, batchSize, epochOptions);
    for await (const batch of epochBatches) {
      const b = batch.index;
      if (this.#options.signal?.aborted) await this.#interrupt(b, batchBar);
      const [loss, correct] = await this.#trainBatch(batch);
      sums = addBatch(sums, loss, correct, batch.size);
      window = addBatch(window, loss, correct, batch.size);
      if (this.#step % this.#metricEvery === 0) {
        this.#emit({
          type: "metric",
          step: this.#step,
          epoch,
          values: {
            "train/loss": window.loss / window.seen,
            "train/accuracy": window.correct / window.seen,
            lr: this.#currentLr,
          },
        });
        window = NO_SUMS;
      }
      this.#state = { ...this.#state, batch: b + 1, sums, window };
      const now = performance.now();
      if (now - lastProgress > 100 || b + 1 === this.#stepsPerEpoch) {
        lastProgress = now;
        this.#emit({
          type: "progress",
          id: batchBar,
          label: "Batch",
          current: b + 1,
          total: this.#stepsPerEpoch,
          parent: `${this.#barId}:epoch`,
          unit: "batch",
          status: `loss ${(sums.loss / sums.seen).toFixed(4)} acc ${(sums.correct / sums.seen).toFixed(4)}`,
          ...(b + 1 === this.#stepsPerEpoch ? { done: true } : {}),
        });
      }
      const everySteps = this.#options.checkpoint?.everySteps;
      if (everySteps && this.#step % everySteps === 0 && b + 1 < this.#stepsPerEpoch)
        await this.#checkpoint();
      // Let signals and timers through now and then; every batch would cost throughput.
      if (now - lastYield > 20) {
        lastYield = now;
        await yieldToEventLoop();
      }
    }
    return sums;
  }

  /** One optimizer step at the schedule's learning rate; the batch's mean loss and hits. */
  async #trainBatch(batch: Batch): Promise<[number, number]> {
    const { epochs } = this.#options;
    const lr = learningRateAt(this.#schedule, this.#baseLr, {
      step: this.#step,
      stepsPerEpoch: this.#stepsPerEpoch,
      epochs,
    });
    if (lr !== this.#currentLr) {
      this.#currentLr = lr;
      setLearningRate(this.#optimizer, lr);
    }
    const started = performance.now();
    const result = this.#pool
      ? await replicaTrainStep(
          this.#pool,
          this.#optimizer,
          batch,
          this.#shape,
          this.#options.clipNorm,
        )
      : this.#trainOnThisThread(batch);
    this.#trainingMs += performance.now() - started;
    this.#trainedSamples += batch.size;
    this.#step++;
    return result;
  }

  /** The interrupt checkpoint: where this batch boundary stands, resumed from exactly. */
  async #interrupt(b: number, batchBar: string): Promise<never> {
    const path = await this.#checkpoint();
    if (path !== undefined) {
      this.#emit({
        type: "log",
        level: "info",
        message: `interrupted at step ${this.#step}: checkpoint ${path}`,
      });
    }
    this.#emit({
      type: "progress",
      id: batchBar,
      label: "Batch",
      current: b,
      total: this.#stepsPerEpoch,
      parent: `${this.#barId}:epoch`,
      done: true,
      status: "interrupted",
    });
    throw this.#options.signal?.reason;
  }

  /** Validation, early stopping, the epoch's record, its checkpoint and events. */
  async #endEpoch(epoch: number, sums: Sums): Promise<void> {
    const { epochs, batchSize, validation, earlyStopping } = this.#options;
    const values: Record<string, number> = {
      "train/epoch_loss": sums.loss / sums.seen,
      "train/epoch_accuracy": sums.correct / sums.seen,
      lr: this.#currentLr,
    };
    if (validation && validation.length > 0) {
      const v = await replicaEvaluate(
        this.#pool,
        this.#model,
        validation,
        Math.max(batchSize, 256),
        this.#kind,
      );
      values["val/loss"] = v.loss;
      values["val/accuracy"] = v.accuracy;
    }
    const step = this.#step;
    const record: EpochRecord = { epoch, step, values };
    let stoppedEarly = false;
    let early = this.#state.early;
    if (earlyStopping) {
      const verdict = updateEarlyStopping(earlyStopping, early, epoch, values);
      early = verdict.state;
      if (verdict.improved && earlyStopping.restoreBest)
        this.#bestWeights = captureWeights(this.#model, BEST);
      stoppedEarly = verdict.stop;
    }
    const finished = stoppedEarly || epoch + 1 >= epochs;
    this.#state = {
      ...this.#state,
      epochDone: true,
      stoppedEarly,
      early,
      history: [...this.#state.history, record],
    };
    if (stoppedEarly && this.#bestWeights) restoreWeights(this.#model, this.#bestWeights, BEST);
    await this.#checkpoint();
    this.#emit({ type: "metric", step, epoch, values });
    this.#emit({
      type: "progress",
      id: `${this.#barId}:epoch`,
      label: "Epoch",
      current: epoch + 1,
      total: epochs,
      unit: "epoch",
      ...(finished ? { done: true } : {}),
    });
  }

  #result(): TrainResult {
    const state = this.#state;
    const workers = this.#workers;
    return {
      epochs: state.history.length,
      steps: this.#step,
      history: state.history,
      stoppedEarly: state.stoppedEarly,
      ...(this.#options.earlyStopping ? { bestEpoch: state.early.bestEpoch } : {}),
      ...(this.#resumedFromStep !== undefined ? { resumedFromStep: this.#resumedFromStep } : {}),
      samplesPerSecond: this.#trainingMs > 0 ? (this.#trainedSamples / this.#trainingMs) * 1000 : 0,
      ...(workers > 1 ? { workers } : {}),
    };
  }

  /** Writes weights, optimizer, best weights and the loop's state; the path, if a store. */
  async #checkpoint(): Promise<string | undefined> {
    const store = this.#store;
    if (!store) return undefined;
    const step = this.#step;
    if (this.#pool) syncReplicaOptimizer(this.#pool);
    const tensors = [
      ...captureWeights(this.#model),
      ...(await captureOptimizer(this.#optimizer)),
      ...(this.#bestWeights ?? []),
    ];
    const path = store.save({ step, tensors, state: this.#state as unknown as JsonValue });
    this.#options.onCheckpoint?.({ step, path });
    return path;
  }

  #trainOnThisThread(batch: Batch): [number, number] {
    const [xs, ys] = batchTensors(batch, this.#shape);
    try {
      return this.#trainStep(xs, ys, batch.ys);
    } finally {
      tf.dispose([xs, ys]);
    }
  }

  #trainStep(xs: tf.Tensor, ys: tf.Tensor1D, labels: Int32Array): [number, number] {
    const model = this.#model;
    const vars = this.#vars;
    const clipNorm = this.#options.clipNorm;
    return tf.tidy(() => {
      let outputs: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        // variableGrads disposes everything but the loss and gradients: keep the outputs.
        outputs = tf.keep(model.apply(xs, { training: true }) as tf.Tensor);
        return crossEntropy(outputs, ys, this.#kind);
      }, vars);
      let list = vars.map((v) => grads[v.name]!);
      if (clipNorm !== undefined) list = clipByGlobalNorm(list, clipNorm).grads;
      this.#optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: list[i]! })));
      // Arg-max on the host: cheaper than four more kernels for a [batch, classes] array.
      const correct = countCorrectOnHost(outputs!.dataSync(), labels);
      outputs!.dispose();
      return [value.dataSync()[0]!, correct];
    });
  }
}
