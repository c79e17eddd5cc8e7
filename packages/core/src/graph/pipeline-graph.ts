import type { PermanenceNode } from "./permanence-node.ts";
import { type JoinImpl, JoinNode, type NamedStepNode, type StepNode } from "./step-node.ts";

/**
 * A pipeline as plain data: what `describe()` returns and what the executor runs. Frozen;
 * every change goes through a `cloneWith…` helper that shares untouched parts by reference.
 */
export interface PipelineGraph {
  readonly name: string;
  readonly permanences: readonly PermanenceNode[];
  readonly steps: readonly StepNode[];
}

/**
 * Copy-on-write helpers for {@link PipelineGraph}. They throw a `TypeError` for a duplicate
 * step name or an unknown step (callers check input first: the DSL through its types,
 * `buildPipeline` by collecting issues).
 */
export const PipelineGraph = Object.freeze({
  create(name: string): PipelineGraph {
    return Object.freeze({ name, permanences: Object.freeze([]), steps: Object.freeze([]) });
  },

  /** Appends a step; a named step must not reuse a name. */
  cloneWithStep(graph: PipelineGraph, node: StepNode): PipelineGraph {
    if (node.kind !== "through" && findNamed(graph, node.name) !== undefined) {
      throw new TypeError(`pipeline "${graph.name}" already has a step named "${node.name}"`);
    }
    return Object.freeze({
      ...graph,
      steps: Object.freeze([...graph.steps, Object.freeze(node)]),
    });
  },

  /** Adds permanences; one with an existing name replaces it in place (keeps its order). */
  cloneWithPermanences(graph: PipelineGraph, added: readonly PermanenceNode[]): PipelineGraph {
    const permanences = [...graph.permanences];
    for (const node of added) {
      const at = permanences.findIndex((p) => p.name === node.name);
      if (at >= 0) permanences[at] = Object.freeze(node);
      else permanences.push(Object.freeze(node));
    }
    return Object.freeze({ ...graph, permanences: Object.freeze(permanences) });
  },

  /** Replaces the named step (same kind) with `replace(node)`. */
  cloneWithReplacedStep(
    graph: PipelineGraph,
    name: string,
    replace: (node: NamedStepNode) => NamedStepNode,
  ): PipelineGraph {
    const at = graph.steps.findIndex((s) => s.kind !== "through" && s.name === name);
    const node = graph.steps[at];
    if (node === undefined || node.kind === "through") {
      throw new TypeError(`pipeline "${graph.name}" has no step named "${name}"`);
    }
    const steps = [...graph.steps];
    steps[at] = Object.freeze(replace(node));
    return Object.freeze({ ...graph, steps: Object.freeze(steps) });
  },

  cloneWithJoinImpl(graph: PipelineGraph, name: string, impl: JoinImpl): PipelineGraph {
    return PipelineGraph.cloneWithReplacedStep(graph, name, (node) => {
      if (node.kind !== "join") {
        throw new TypeError(`step "${name}" is a ${node.kind} step, not a join`);
      }
      return JoinNode.cloneWithImpl(node, impl);
    });
  },
});

function findNamed(graph: PipelineGraph, name: string): StepNode | undefined {
  return graph.steps.find((s) => s.kind !== "through" && s.name === name);
}
