import { PipelineProcess, type ProcessContext } from "@tipi/core";
import { z } from "../lazy/zod.ts";
import { Data } from "../permanences/data.ts";
import { Hyperparameters } from "../permanences/hyperparameters.ts";
import { Network } from "../permanences/network.ts";
import type { TrainResult } from "./train-loop.ts";

/**
 * Config schema of {@link TrainingProcess}: the names of the permanences it uses. Each key's
 * description is what docs/config.md's `TrainingProcess` table shows.
 */
export const trainingProcessParams = z.object({
  network: z.string().default("network").describe("Key of the Network permanence to train."),
  data: z
    .string()
    .default("data")
    .describe("Key of the Data permanence: its `train` split is trained on, `val` validated on."),
  hyperparameters: z
    .string()
    .default("hyperparameters")
    .describe("Key of the Hyperparameters permanence: epochs, batch size, optimizer, schedule…"),
  saveModel: z
    .boolean()
    .default(true)
    .describe(
      "Save the trained model (tfjs-layers format) to `<runDir>/model` when training ends; training checkpoints go to `<runDir>/checkpoints` either way.",
    ),
});

/**
 * Runs the default train loop for TOML pipelines (`type = "TrainingProcess"`) with the
 * Network, Data and Hyperparameters permanences; its result lands in the state.
 */
export class TrainingProcess extends PipelineProcess<z.output<typeof trainingProcessParams>> {
  static override readonly params = trainingProcessParams;
  /**
   * The params that name a permanence, and its class: `tipi validate` and `tipi run` check that
   * a TOML pipeline provides each (`network = "network"` by default) before anything runs.
   */
  static readonly permanenceParams = {
    network: Network,
    data: Data,
    hyperparameters: Hyperparameters,
  } as const;

  async execute(ctx: ProcessContext): Promise<TrainResult> {
    // the train loop loads tfjs: only when a run trains, not when a config is validated
    const { trainWithPermanences } = await import("./train-join.ts");
    return trainWithPermanences(ctx, this.params);
  }
}
