import { isAbsolute, relative } from "node:path";
import { type AnyPipeline, type ConfigIssue, isTable, type Registry } from "@tipi/core";
import { nearest } from "@tipi/core/did-you-mean";
import { locate } from "./build-toml-pipeline.ts";
import type { AppliedOverride } from "./overrides.ts";
import type { ConfigProblem } from "./problems.ts";
import type { TomlDocument, TomlTable } from "./toml-document.ts";

/** A permanence class, as a process names the one it needs. */
type PermanenceClass = abstract new (...args: never[]) => unknown;

/**
 * A process class names its params whose value is the name of a permanence it reads, with the
 * permanence's class: `static readonly permanenceParams = { network: Network, data: Data }`
 * (the TrainingProcess's `network = "network"` names a Network permanence). The CLI checks
 * that the pipeline provides each before anything runs.
 */
export interface DeclaresPermanenceParams {
  readonly permanenceParams?: Readonly<Record<string, PermanenceClass>>;
}

/** `cls` is `wanted` or a subclass of it. */
function isA(cls: unknown, wanted: PermanenceClass): boolean {
  return cls === wanted || (typeof cls === "function" && cls.prototype instanceof wanted);
}

/**
 * Every permanence a process of `pipeline` needs (its class's `permanenceParams`) that the
 * pipeline does not provide, or provides with another class, each located at the process's
 * table (or at the param that names it, when written), with a did-you-mean over the
 * permanences there are: `[permanences.hyperparameter]` → "did you mean hyperparameters?".
 */
export function permanenceParamProblems(
  pipeline: AnyPipeline,
  registry: Registry,
  config: TomlTable,
  docs: readonly TomlDocument[],
  applied: readonly AppliedOverride[],
): ConfigProblem[] {
  const graph = pipeline.describe();
  const provided = graph.permanences.map((p) => ({
    name: p.name,
    type: p.type,
    cls: p.type === undefined ? undefined : registry.permanence(p.type),
  }));
  const typeName = (wanted: PermanenceClass): string =>
    registry.permanenceTypes.find((t) => registry.permanence(t) === wanted) ?? wanted.name;
  const issues: ConfigIssue[] = [];
  for (const step of graph.steps) {
    if (step.kind !== "process") continue;
    const needs = (step.process.constructor as DeclaresPermanenceParams).permanenceParams ?? {};
    const params = step.process.params as Record<string, unknown>;
    const processes = isTable(config.processes) ? config.processes : {};
    const entry = isTable(processes[step.name]) ? (processes[step.name] as TomlTable) : {};
    const written = isTable(entry.params) ? entry.params : entry;
    for (const [param, wanted] of Object.entries(needs)) {
      const name = params[param];
      if (typeof name !== "string") continue;
      const at = [
        "processes",
        step.name,
        ...(param in written ? (written === entry ? [param] : ["params", param]) : []),
      ];
      const who = `process "${step.name}" (${step.type})`;
      const type = typeName(wanted);
      const found = provided.find((p) => p.name === name);
      if (found !== undefined) {
        if (found.cls === undefined || isA(found.cls, wanted)) continue;
        issues.push({
          path: at,
          message: `${who} needs a ${type} permanence named "${name}", but [permanences.${name}] is a ${found.type}`,
          hint: `set ${param} = "…" to the name of a ${type} permanence, or give [permanences.${name}] type = "${type}"`,
        });
        continue;
      }
      const sameClass = provided.filter((p) => p.cls !== undefined && isA(p.cls, wanted));
      // `[permanences.hyperparameter]` is close; `[permanences.dataset]` is the only Data there is
      const close =
        nearest(
          name,
          sameClass.map((p) => p.name),
        ) ?? (sameClass.length === 1 ? sameClass[0]!.name : undefined);
      const others = provided.length === 0 ? "none" : provided.map((p) => p.name).join(", ");
      issues.push({
        path: at,
        message: `${who} needs a ${type} permanence named "${name}", and there is none (permanences: ${others})`,
        hint:
          close === undefined
            ? `add a [permanences.${name}] table with type = "${type}"${at.length > 2 ? `, or set ${param} to the name of one` : ""}`
            : `[permanences.${close}]: did you mean ${name}? (rename the table to [permanences.${name}], or set ${param} = "${close}" in [processes.${step.name}])`,
      });
    }
  }
  return issues.map((issue) => locate(docs, applied, issue));
}

/**
 * A DSL step function that names the permanences it reads (`trainJoin()`, `evaluateStage()`
 * from @tipi/tfjs), with the option of the step's factory that names each.
 */
interface NeedsPermanences {
  readonly needsPermanences?: readonly {
    readonly option: string;
    readonly name: string;
    readonly type: PermanenceClass;
  }[];
}

/**
 * Every permanence a step or join function of a module's pipeline needs (`needsPermanences`)
 * that no `provide()` gives by that name, reported at the module (tsx does not type-check, so
 * `.provide({ hyperparameter })` would otherwise fail at the join, mid-run).
 */
export function stepNeedsProblems(pipeline: AnyPipeline, file: string): ConfigProblem[] {
  const graph = pipeline.describe();
  const names = graph.permanences.map((p) => p.name);
  const problems: ConfigProblem[] = [];
  for (const step of graph.steps) {
    const fn =
      step.kind === "stage" || step.kind === "io"
        ? step.fn
        : step.kind === "join" && step.impl?.kind === "fn"
          ? step.impl.fn
          : undefined;
    const needs = (fn as NeedsPermanences | undefined)?.needsPermanences ?? [];
    const who = step.kind === "join" ? `the "${step.name}" join` : `step "${step.name}"`;
    for (const need of needs) {
      if (names.includes(need.name)) continue;
      const close = nearest(need.name, names);
      problems.push({
        file: shownPath(file),
        message: `${who} needs a ${need.type.name} permanence named "${need.name}", and the pipeline provides none (permanences: ${names.length === 0 ? "none" : names.join(", ")})`,
        hint:
          close === undefined
            ? `provide it: .provide({ ${need.name}: () => new ${need.type.name}(…) })`
            : `provide({ ${close}: … }): did you mean ${need.name}? (rename the key to ${need.name}, or pass { ${need.option}: "${close}" } to the step's options)`,
      });
    }
  }
  return problems;
}

/** `file` relative to the working directory when inside it. */
function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel;
}
