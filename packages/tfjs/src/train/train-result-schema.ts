import { z } from "../lazy/zod.ts";

/**
 * The {@link TrainResult} as a zod schema, for `requireJoin("train", …)` so the join's output
 * is validated at run time and typed after it.
 * @example
 * .requireJoin("train", z.object({ training: trainResultSchema }))
 */
export const trainResultSchema = z.object({
  epochs: z.number().int().nonnegative(),
  steps: z.number().int().nonnegative(),
  history: z
    .array(
      z.object({
        epoch: z.number().int(),
        step: z.number().int(),
        values: z.record(z.string(), z.number()).readonly(),
      }),
    )
    .readonly(),
  stoppedEarly: z.boolean(),
  bestEpoch: z.number().int().optional(),
  resumedFromStep: z.number().int().optional(),
  samplesPerSecond: z.number(),
});
