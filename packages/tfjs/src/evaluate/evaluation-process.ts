import { PipelineProcess, type ProcessContext } from "@tipi/core";
import { z } from "../lazy/zod.ts";
import type { Evaluation } from "./evaluate.ts";
import { evaluateWithPermanences } from "./evaluate-stage.ts";

/** Config schema of {@link EvaluationProcess}. */
export const evaluationProcessParams = z.object({
  network: z.string().default("network"),
  data: z.string().default("data"),
  split: z.enum(["test", "val", "train"]).default("test"),
  batchSize: z.number().int().positive().default(256),
});

/**
 * Test accuracy, per-class accuracy and the confusion matrix of the Network permanence
 * (`type = "EvaluationProcess"`); the {@link Evaluation} lands in the state.
 */
export class EvaluationProcess extends PipelineProcess<z.output<typeof evaluationProcessParams>> {
  static override readonly params = evaluationProcessParams;

  execute(ctx: ProcessContext): Evaluation {
    return evaluateWithPermanences(ctx, this.params);
  }
}
