import type { EventOf } from "@tipi/core";
import { Data } from "../permanences/data.ts";
import { Network } from "../permanences/network.ts";
import { needingPermanences } from "../train/needs-permanences.ts";
import type { TrainContext, WithResult } from "../train/train-join.ts";
import { type Evaluation, evaluateModelAsync } from "./evaluate.ts";

/** Which permanences the evaluation reads, and on which split. */
export interface EvaluateStageOptions {
  readonly network?: string;
  readonly data?: string;
  /** Default `test` (falls back to `val` when the source has no test set). */
  readonly split?: "test" | "val" | "train";
  readonly batchSize?: number;
}

/**
 * Evaluates the `network` permanence on a split of the `data` permanence and emits
 * `test/accuracy` and `test/loss` as a metric event, the confusion matrix as the figure
 * `confusion-matrix` and the per-class accuracy as the table `per-class-accuracy` (columns
 * class, accuracy, count); on a split other than `test` the figure names start with it
 * (`val-confusion-matrix`). Yields between batches: aborting `ctx.signal` (Ctrl-C) stops it
 * with `ctx.signal.reason`.
 */
export async function evaluateWithPermanences(
  ctx: Pick<TrainContext, "get" | "emit" | "signal">,
  options: EvaluateStageOptions = {},
): Promise<Evaluation> {
  const networkName = options.network ?? "network";
  const dataName = options.data ?? "data";
  const network = ctx.get(networkName);
  const data = ctx.get(dataName);
  if (!(network instanceof Network))
    throw new Error(`evaluation needs a Network permanence named "${networkName}"`);
  if (!(data instanceof Data))
    throw new Error(`evaluation needs a Data permanence named "${dataName}"`);
  const split = options.split ?? "test";
  const dataset = split === "test" ? (data.test ?? data.val) : data[split];
  const result = await evaluateModelAsync(network.model, dataset, {
    signal: ctx.signal,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  ctx.emit({
    type: "metric",
    values: { [`${split}/accuracy`]: result.accuracy, [`${split}/loss`]: result.loss },
  });
  for (const event of evaluationFigures(result, split === "test" ? "" : `${split}-`))
    ctx.emit(event);
  return result;
}

/** The confusion matrix and the per-class accuracy table of `result`, as figure events. */
export function evaluationFigures(result: Evaluation, prefix = ""): readonly EventOf<"figure">[] {
  return [
    {
      type: "figure",
      name: `${prefix}confusion-matrix`,
      figure: {
        kind: "confusion-matrix",
        labels: result.perClass.map((c) => c.label),
        matrix: result.confusion,
      },
    },
    {
      type: "figure",
      name: `${prefix}per-class-accuracy`,
      figure: {
        kind: "table",
        columns: ["class", "accuracy", "count"],
        rows: result.perClass.map((c) => [c.label, c.accuracy, c.count]),
      },
    },
  ];
}

/**
 * A DSL step adding `evaluation` to the state.
 * @example
 * pipeline.stage("evaluate", evaluateStage())
 */
export function evaluateStage(options: EvaluateStageOptions = {}) {
  return needingPermanences(
    async <TState>(
      state: TState,
      ctx: Pick<TrainContext, "get" | "emit" | "signal">,
    ): Promise<WithResult<TState, { evaluation: Evaluation }>> =>
      ({
        ...(typeof state === "object" ? state : {}),
        evaluation: await evaluateWithPermanences(ctx, options),
      }) as WithResult<TState, { evaluation: Evaluation }>,
    [
      { option: "network", name: options.network ?? "network", type: Network },
      { option: "data", name: options.data ?? "data", type: Data },
    ],
  );
}
