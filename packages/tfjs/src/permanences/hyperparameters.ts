import type * as tf from "@tensorflow/tfjs-core";
import type { Permanence } from "@tipi/core";
import { tfCore } from "../lazy/modules.ts";
import { z } from "../lazy/zod.ts";
import type { EarlyStoppingOptions } from "../train/early-stopping.ts";
import type { LrSchedule } from "../train/lr-schedule.ts";

/**
 * Config schema of {@link Hyperparameters}: flat keys, so `--set hyperparameters.epochs=3`
 * and sweep parameters address them directly.
 */
export const hyperparametersParams = z.object({
  epochs: z.number().int().positive().default(10),
  batchSize: z.number().int().positive().default(64),
  learningRate: z.number().nonnegative().default(1e-3),
  optimizer: z.enum(["adam", "sgd", "momentum", "rmsprop", "adagrad"]).default("adam"),
  /** Momentum of the `momentum` optimizer. */
  momentum: z.number().min(0).max(1).default(0.9),
  /** Seeds shuffling, augmentation and the model's initialisers. */
  seed: z.number().int().nonnegative().default(42),
  lrSchedule: z.enum(["constant", "step", "exponential", "cosine"]).default("constant"),
  /** Factor of the `step` (per `lrStepEpochs`) and `exponential` (per epoch) schedules. */
  lrGamma: z.number().positive().default(0.5),
  lrStepEpochs: z.number().int().positive().default(1),
  /** Floor of the `cosine` schedule. */
  minLearningRate: z.number().nonnegative().default(0),
  warmupEpochs: z.number().nonnegative().default(0),
  /** Clip gradients to this global L2 norm. */
  clipNorm: z.number().positive().optional(),
  /** Stop after this many epochs without improvement of `earlyStoppingMonitor`. */
  earlyStoppingPatience: z.number().int().positive().optional(),
  earlyStoppingMonitor: z.string().default("val/loss"),
  restoreBest: z.boolean().default(false),
  /** Write a checkpoint every this many steps too (0: at epoch ends only). */
  checkpointEvery: z.number().int().nonnegative().default(0),
  keepCheckpoints: z.number().int().positive().default(3),
});

/** The validated values of {@link Hyperparameters}. */
export type HyperparameterValues = z.output<typeof hyperparametersParams>;

/**
 * Typed training hyperparameters from config, with defaults. Config-built pipelines merge
 * `--set` overrides and sweep parameters before construction, so `values` is final.
 *
 * @example
 * new Hyperparameters({ epochs: 8, lrSchedule: "cosine" }).values.batchSize // 64
 */
export class Hyperparameters implements Permanence {
  static readonly params = hyperparametersParams;
  readonly values: HyperparameterValues;

  constructor(params: z.input<typeof hyperparametersParams> = {}) {
    this.values = hyperparametersParams.parse(params);
  }

  /** The learning-rate schedule the values describe. */
  get lrSchedule(): LrSchedule {
    const v = this.values;
    const schedules: Record<HyperparameterValues["lrSchedule"], LrSchedule> = {
      constant: { kind: "constant" },
      step: { kind: "step", everyEpochs: v.lrStepEpochs, gamma: v.lrGamma },
      exponential: { kind: "exponential", gamma: v.lrGamma },
      cosine: { kind: "cosine", minLr: v.minLearningRate, warmupEpochs: v.warmupEpochs },
    };
    return schedules[v.lrSchedule];
  }

  /** Early stopping settings, when `earlyStoppingPatience` is set. */
  get earlyStopping(): EarlyStoppingOptions | undefined {
    const v = this.values;
    if (v.earlyStoppingPatience === undefined) return undefined;
    return {
      patience: v.earlyStoppingPatience,
      monitor: v.earlyStoppingMonitor,
      restoreBest: v.restoreBest,
    };
  }

  /** A fresh optimizer of the configured kind at the base learning rate. */
  createOptimizer(): tf.Optimizer {
    const { optimizer, learningRate, momentum } = this.values;
    const tf = tfCore();
    switch (optimizer) {
      case "adam":
        return tf.train.adam(learningRate);
      case "sgd":
        return tf.train.sgd(learningRate);
      case "momentum":
        return tf.train.momentum(learningRate, momentum);
      case "rmsprop":
        return tf.train.rmsprop(learningRate);
      case "adagrad":
        return tf.train.adagrad(learningRate);
    }
  }

  cleanup(): void {}
}
