import { PipelineProcess, type ProcessContext } from "@tipi/core";
import { z } from "../lazy/zod.ts";
import type { TrainResult } from "./train-loop.ts";

/** Config schema of {@link TrainingProcess}: the names of the permanences it uses. */
export const trainingProcessParams = z.object({
  network: z.string().default("network"),
  data: z.string().default("data"),
  hyperparameters: z.string().default("hyperparameters"),
  /** Save the trained model to `<runDir>/model`. */
  saveModel: z.boolean().default(true),
});

/**
 * Runs the default train loop for TOML pipelines (`type = "TrainingProcess"`) with the
 * Network, Data and Hyperparameters permanences; its result lands in the state.
 */
export class TrainingProcess extends PipelineProcess<z.output<typeof trainingProcessParams>> {
  static override readonly params = trainingProcessParams;

  async execute(ctx: ProcessContext): Promise<TrainResult> {
    // the train loop loads tfjs: only when a run trains, not when a config is validated
    const { trainWithPermanences } = await import("./train-join.ts");
    return trainWithPermanences(ctx, this.params);
  }
}
