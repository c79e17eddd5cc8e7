import type { PipelineGraph } from "../graph/pipeline-graph.ts";
import type { NamedStepNode, StepNode } from "../graph/step-node.ts";
import type { StepContext } from "../types/context.ts";
import type { AnyStepFn, GuardNext, NextResult } from "../types/step.ts";

/** Runs a join's sub-pipeline (the executor's; passed in, so this module needs none). */
export type SubPipelineRunner = (
  graph: PipelineGraph,
  join: string,
  state: unknown,
  ctx: StepContext<Record<string, unknown>>,
) => Promise<unknown>;

/** Returned by a step that was skipped (a process's `skip()`, a guard's `info.skip()`). */
export const SKIPPED: unique symbol = Symbol("tipi.skipped");

const skip = (): NextResult => SKIPPED as unknown as NextResult;

function baseFn(node: NamedStepNode, runSubPipeline: SubPipelineRunner): AnyStepFn | undefined {
  switch (node.kind) {
    case "stage":
    case "io":
      return node.fn;
    case "join": {
      const impl = node.impl;
      if (impl === undefined) return undefined;
      if (impl.kind === "fn") return impl.fn;
      return (state, ctx) => runSubPipeline(impl.graph, node.name, state, ctx);
    }
    case "process": {
      const { process, force, name } = node;
      return async (state, ctx) => {
        if (!force && (await process.skip(ctx))) return SKIPPED;
        const value = await process.execute(
          ctx,
          (state ?? {}) as Readonly<Record<string, unknown>>,
        );
        return { ...(state as object), [name]: value };
      };
    }
  }
}

const cache = new WeakMap<PipelineGraph, readonly (AnyStepFn | undefined)[]>();

/**
 * The step functions of a graph with their guards applied. Graphs are frozen, so this is
 * done once per graph rather than once per run or per step.
 */
export function composedSteps(
  graph: PipelineGraph,
  runSubPipeline: SubPipelineRunner,
): readonly (AnyStepFn | undefined)[] {
  let fns = cache.get(graph);
  if (fns === undefined) {
    fns = graph.steps.map((node: StepNode) => {
      if (node.kind === "through") return undefined;
      const fn = baseFn(node, runSubPipeline);
      if (fn === undefined) return undefined;
      let wrapped = fn;
      for (let i = node.guards.length - 1; i >= 0; i--) {
        // The NextResult brand is a type only: `next` hands back the step's own value.
        wrapped = node.guards[i]!(wrapped as GuardNext, { step: node.name, kind: node.kind, skip });
      }
      return wrapped;
    });
    cache.set(graph, fns);
  }
  return fns;
}
