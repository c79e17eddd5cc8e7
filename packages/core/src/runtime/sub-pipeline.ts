import { NestedFailure } from "../_internals/errors.ts";
import type { PipelineGraph } from "../graph/pipeline-graph.ts";
import type { StepContext } from "../types/context.ts";
import { executeGraph } from "./executor.ts";
import { RunStepContext } from "./step-context.ts";

/** Runs a sub-pipeline as one join: its steps are named `join/step`, its permanences nest. */
export async function runSubPipeline(
  graph: PipelineGraph,
  join: string,
  state: unknown,
  ctx: StepContext<Record<string, unknown>>,
): Promise<unknown> {
  if (!(ctx instanceof RunStepContext)) {
    throw new TypeError(`join "${join}": a sub-pipeline needs the executor's step context`);
  }
  const outcome = await executeGraph(graph, state, ctx.run, ctx.scope, `${ctx.step}/`);
  return outcome.ok ? outcome.value : new NestedFailure(outcome.error);
}
