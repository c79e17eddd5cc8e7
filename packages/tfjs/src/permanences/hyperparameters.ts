import type * as tf from "@tensorflow/tfjs-core";
import type { Permanence } from "@tipi/core";
import { tfCore } from "../lazy/modules.ts";
import { z } from "../lazy/zod.ts";
import type { EarlyStoppingOptions } from "../train/early-stopping.ts";
import type { LrSchedule } from "../train/lr-schedule.ts";
import { parseOptions } from "./parse-options.ts";

/**
 * Config schema of {@link Hyperparameters}: flat keys, so `--set hyperparameters.epochs=3`
 * and sweep parameters address them directly. Each key's description is what docs/config.md's
 * `Hyperparameters` table shows.
 */
export const hyperparametersParams = z.object({
  epochs: z.number().int().positive().default(10).describe("Passes over the training set."),
  batchSize: z
    .number()
    .int()
    .positive()
    .default(64)
    .describe("Samples per training step (the last batch of an epoch may be smaller)."),
  learningRate: z
    .number()
    .nonnegative()
    .default(1e-3)
    .describe("Base learning rate, which `lrSchedule` changes over training."),
  optimizer: z
    .enum(["adam", "sgd", "momentum", "rmsprop", "adagrad"])
    .default("adam")
    .describe(
      "The tfjs optimizer (`tf.train.<name>`) at the scheduled rate, with tfjs's defaults otherwise (`momentum` for `momentum`).",
    ),
  momentum: z
    .number()
    .min(0)
    .max(1)
    .default(0.9)
    .describe("Momentum of the `momentum` optimizer (the others ignore it)."),
  seed: z
    .number()
    .int()
    .nonnegative()
    .default(42)
    .describe(
      "Seeds shuffling, augmentation and the model's initial weights (`--seed n` sets it and `pipeline.seed`).",
    ),
  lrSchedule: z
    .enum(["constant", "step", "exponential", "cosine"])
    .default("constant")
    .describe(
      "How the rate changes: `constant`; `step`, times `lrGamma` every `lrStepEpochs` epochs; `exponential`, times `lrGamma` per epoch (interpolated per step); `cosine`, down to `minLearningRate` over the run after `warmupEpochs`.",
    ),
  lrGamma: z
    .number()
    .positive()
    .default(0.5)
    .describe("Factor of the `step` and `exponential` schedules."),
  lrStepEpochs: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe("Epochs between the `step` schedule's reductions."),
  minLearningRate: z.number().nonnegative().default(0).describe("Floor of the `cosine` schedule."),
  warmupEpochs: z
    .number()
    .nonnegative()
    .default(0)
    .describe(
      "`cosine` schedule: epochs (fractions allowed) over which the rate rises linearly to `learningRate` before it decays.",
    ),
  clipNorm: z
    .number()
    .positive()
    .optional()
    .describe("Clip each step's gradients to this global L2 norm; unset: no clipping."),
  earlyStoppingPatience: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "Stop after this many epochs without improvement of `earlyStoppingMonitor`; unset: no early stopping.",
    ),
  earlyStoppingMonitor: z
    .string()
    .default("val/loss")
    .describe(
      "The per-epoch metric early stopping watches, e.g. `val/loss` or `val/accuracy` (a name with `acc` in it is maximised, others minimised).",
    ),
  restoreBest: z
    .boolean()
    .default(false)
    .describe("With early stopping: put back the best epoch's weights when training ends."),
  checkpointEvery: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe(
      "Also write a training checkpoint every this many steps (0: at epoch ends only); `--resume` continues from the newest.",
    ),
  keepCheckpoints: z
    .number()
    .int()
    .positive()
    .default(3)
    .describe("How many of the newest checkpoints to keep in `<runDir>/checkpoints`."),
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
    this.values = parseOptions("Hyperparameters", hyperparametersParams, params);
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
