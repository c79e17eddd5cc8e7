import { PipelineProcess, type ProcessContext } from "@tipi/core";
import { z } from "../lazy/zod.ts";
import { Data } from "../permanences/data.ts";
import { Network } from "../permanences/network.ts";
import type { Evaluation } from "./evaluate.ts";
import { evaluateWithPermanences } from "./evaluate-stage.ts";

/**
 * Config schema of {@link EvaluationProcess}. Each key's description is what docs/config.md's
 * `EvaluationProcess` table shows.
 */
export const evaluationProcessParams = z.object({
  network: z.string().default("network").describe("Key of the Network permanence to evaluate."),
  data: z.string().default("data").describe("Key of the Data permanence to evaluate on."),
  split: z
    .enum(["test", "val", "train"])
    .default("test")
    .describe(
      "The split: `test` (the validation split when the data has no test set) logs `test/accuracy`, `test/loss` and the `confusion-matrix` and `per-class-accuracy` figures; another logs `val/…` or `train/…` and prefixes the figures (`val-confusion-matrix`).",
    ),
  batchSize: z
    .number()
    .int()
    .positive()
    .default(256)
    .describe(
      "Samples per forward pass: memory against speed; the figures agree up to float rounding.",
    ),
});

/**
 * Test accuracy, per-class accuracy and the confusion matrix of the Network permanence
 * (`type = "EvaluationProcess"`); the {@link Evaluation} lands in the state.
 */
export class EvaluationProcess extends PipelineProcess<z.output<typeof evaluationProcessParams>> {
  static override readonly params = evaluationProcessParams;
  /** The params that name a permanence, and its class: checked before a TOML pipeline runs. */
  static readonly permanenceParams = { network: Network, data: Data } as const;

  execute(ctx: ProcessContext): Promise<Evaluation> {
    return evaluateWithPermanences(ctx, this.params);
  }
}
