import type { PipelineGraph, StepNode } from "@tipi/core";
import { EXIT } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { toJsonLine } from "../ui/json-renderer.ts";
import { loadFromArgs } from "./shared.ts";

/** `tipi graph`: the pipeline's permanences and steps as text, mermaid or JSON. */
export async function graphCommand(args: ParsedArgs): Promise<number> {
  const loaded = await loadFromArgs(args);
  const graph = loaded.pipeline.describe();
  if (args.options.json) process.stdout.write(`${toJsonLine(graphData(graph))}\n`);
  else if (args.options.mermaid) process.stdout.write(graphMermaid(graph));
  else process.stdout.write(graphText(graph, loaded.name));
  return EXIT.ok;
}

function stepLabel(step: StepNode): { name: string; kind: string; detail: string } {
  switch (step.kind) {
    case "stage":
    case "io":
      return {
        name: step.name,
        kind: step.kind,
        detail: [
          step.timeoutMs ? `timeout ${step.timeoutMs}ms` : "",
          step.retry ? `retries ${step.retry.retries}` : "",
        ]
          .filter(Boolean)
          .join(", "),
      };
    case "through":
      return { name: step.name, kind: "through", detail: "validates the state" };
    case "join":
      return {
        name: step.name,
        kind: "join",
        detail:
          step.impl === undefined
            ? "OPEN: needs provideJoin()"
            : step.impl.kind === "pipeline"
              ? `sub-pipeline "${step.impl.graph.name}"`
              : "provided",
      };
    case "process":
      return {
        name: step.name,
        kind: "process",
        detail: `${step.type}${step.force ? ", force" : ""}`,
      };
  }
}

/** Plain data for `--json`. */
function graphData(graph: PipelineGraph): unknown {
  return {
    name: graph.name,
    permanences: graph.permanences.map((p) => ({ name: p.name, type: p.type })),
    steps: graph.steps.map((s) => {
      const label = stepLabel(s);
      const sub =
        s.kind === "join" && s.impl?.kind === "pipeline" ? graphData(s.impl.graph) : undefined;
      return { ...label, ...(sub ? { pipeline: sub } : {}) };
    }),
  };
}

export function graphText(graph: PipelineGraph, name = graph.name, indent = ""): string {
  const lines = [`${indent}${name}`];
  if (graph.permanences.length > 0) {
    lines.push(`${indent}  permanences (initialised in this order, cleaned up in reverse):`);
    const width = Math.max(...graph.permanences.map((p) => p.name.length));
    for (const p of graph.permanences)
      lines.push(`${indent}    ${p.name.padEnd(width)}  ${p.type ?? "(factory)"}`);
  }
  lines.push(`${indent}  steps:`);
  graph.steps.forEach((step, index) => {
    const label = stepLabel(step);
    lines.push(
      `${indent}    ${index + 1}. ${label.name} [${label.kind}]${label.detail ? ` ${label.detail}` : ""}`,
    );
    if (step.kind === "join" && step.impl?.kind === "pipeline") {
      lines.push(graphText(step.impl.graph, step.impl.graph.name, `${indent}       `).trimEnd());
    }
  });
  return `${lines.join("\n")}\n`;
}

function id(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function quote(text: string): string {
  return `"${text.replaceAll('"', "#quot;")}"`;
}

function graphMermaid(graph: PipelineGraph): string {
  const lines = ["flowchart TD"];
  const emit = (g: PipelineGraph, prefix: string, indent: string): void => {
    if (g.permanences.length > 0) {
      lines.push(`${indent}subgraph ${prefix}_permanences [permanences]`);
      for (const p of g.permanences)
        lines.push(
          `${indent}  ${id(`${prefix}_p`, p.name)}[(${quote(`${p.name}: ${p.type ?? "factory"}`)})]`,
        );
      lines.push(`${indent}end`);
    }
    let previous: string | undefined;
    g.steps.forEach((step, index) => {
      const label = stepLabel(step);
      const node = id(`${prefix}_s${index}`, label.name);
      const text = quote(
        `${label.name}<br/><small>${label.kind}${label.detail ? `: ${label.detail}` : ""}</small>`,
      );
      if (step.kind === "join" && step.impl?.kind === "pipeline") {
        lines.push(`${indent}subgraph ${node} [${quote(`join ${label.name}`)}]`);
        emit(step.impl.graph, node, `${indent}  `);
        lines.push(`${indent}end`);
      } else if (step.kind === "through") {
        lines.push(`${indent}${node}{{${text}}}`);
      } else if (step.kind === "join") {
        lines.push(`${indent}${node}[/${text}/]`);
      } else {
        lines.push(`${indent}${node}[${text}]`);
      }
      if (previous) lines.push(`${indent}${previous} --> ${node}`);
      previous = node;
    });
  };
  emit(graph, "g", "  ");
  return `${lines.join("\n")}\n`;
}
