import {
  Data,
  type DataOptions,
  Device,
  type DeviceOptions,
  evaluateStage,
  Hyperparameters,
  Network,
  Pipeline,
  trainJoin,
  trainResultSchema,
} from "tipi";
import { z } from "zod";
import { fashionCnn } from "./model.ts";

/** The state after the `train` join, validated at run time. */
export const TrainedState = z.object({
  backend: z.string(),
  parameters: z.number(),
  trainSamples: z.number(),
  training: trainResultSchema,
});

type HyperparameterInput = z.input<typeof Hyperparameters.params>;

/** What can be changed without editing the pipeline (the CLI's `--set` does the same for TOML). */
export interface FashionMnistConfig {
  readonly device?: DeviceOptions;
  readonly data?: DataOptions;
  readonly hyperparameters?: HyperparameterInput;
}

/** The tuned defaults: ~97k samples seen (10.8k × 9 epochs) with a cosine schedule. */
export const DEFAULT_HYPERPARAMETERS: HyperparameterInput = {
  epochs: 9,
  batchSize: 64,
  learningRate: 2e-3,
  lrSchedule: "cosine",
  seed: 42,
};

/**
 * Fashion-MNIST with the small CNN, as a typed pipeline with an open `train` join: fill it
 * with the default loop (`trainJoin()`, below) or your own (see custom-train.ts).
 */
export function fashionMnistBase(config: FashionMnistConfig = {}) {
  return Pipeline.create({ name: "fashion-mnist" })
    .provide({ device: () => new Device({ backend: "auto", ...config.device }) })
    .provide({
      hyperparameters: () =>
        new Hyperparameters({ ...DEFAULT_HYPERPARAMETERS, ...config.hyperparameters }),
      data: () => new Data({ source: "fashion-mnist", valFraction: 0.1, ...config.data }),
    })
    .provide({ network: (deps) => new Network({ build: fashionCnn }, deps) })
    .stage("describe", (_state, ctx) => ({
      backend: ctx.get("device").backendName ?? "unknown",
      parameters: ctx.get("network").model.countParams(),
      trainSamples: ctx.get("data").train.length,
    }))
    .requireJoin("train", TrainedState)
    .stage("evaluate", evaluateStage());
}

/** The whole pipeline, with the default train join. */
export function fashionMnistPipeline(config: FashionMnistConfig = {}) {
  return fashionMnistBase(config).provideJoin("train", trainJoin());
}

export default fashionMnistPipeline();
