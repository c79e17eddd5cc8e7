import { readFileSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import {
  formatFlagValue,
  parameterSamples,
  paramValue,
  type SweepConfig,
  type SweepParameter,
} from "@tipi/wandb";
import { UsageError } from "../cli/errors.ts";
import type { Override } from "../cli/parse-args.ts";
import { loadPipeline } from "./load-pipeline.ts";
import { type ConfigProblem, ConfigProblems } from "./problems.ts";
import type { Target } from "./resolve-target.ts";

/**
 * Checks a sweep against its pipeline before the first trial, so that a misspelt parameter is one
 * error (exit 2, with a did-you-mean) instead of a sweep of failed trials: `random` and `bayes`
 * need an end (`run_cap` or `--count`), and every parameter must be a key the pipeline accepts,
 * with values of the right type. Each check loads the pipeline with the `--set` overrides a trial
 * gets, so it judges exactly as the trials' `tipi run` will.
 * @throws {@link UsageError} for a sweep that never ends; {@link ConfigProblems} with every
 * parameter the pipeline rejects, at its line.
 */
export async function checkSweep(
  target: Target,
  config: SweepConfig,
  sweepFile: string,
  count: number | undefined,
): Promise<void> {
  const shown = shownPath(sweepFile);
  if (config.method !== "grid" && config.runCap === undefined && count === undefined) {
    throw new UsageError(
      `${shown}: a ${config.method} sweep never ends on its own: it needs run_cap`,
      `add "run_cap: 20" to ${shown}, or pass --count 20`,
    );
  }
  const lines = readLines(sweepFile);
  const problems = new Map<string, ConfigProblem>();
  for (const params of parameterSamples(config)) {
    const sources = new Map<string, SweepParameter>();
    const overrides: Override[] = config.parameters.map((param) => {
      const value = formatFlagValue(paramValue(params, param));
      // Without the value: one problem per parameter, whatever value shows it.
      const source = `parameter ${param.key}`;
      sources.set(source, param);
      return { key: param.key, value, source };
    });
    try {
      await loadPipeline(target, { overrides });
    } catch (error) {
      if (!(error instanceof ConfigProblems)) throw error;
      for (const problem of error.problems) {
        const located = locateInSweep(problem, sources, shown, lines);
        problems.set(JSON.stringify(located), located);
      }
    }
  }
  if (problems.size > 0) {
    // In the order of the sweep file (the pipeline's own problems first).
    const line = (p: ConfigProblem) => (p.file === shown ? (p.position?.line ?? 0) : -1);
    throw new ConfigProblems([...problems.values()].sort((a, b) => line(a) - line(b)));
  }
}

/** A problem an override caused points at the parameter's line in the sweep file. */
function locateInSweep(
  problem: ConfigProblem,
  sources: ReadonlyMap<string, SweepParameter>,
  file: string,
  lines: readonly string[],
): ConfigProblem {
  if (problem.file !== "command line") return problem;
  const source = [...sources.keys()].find((s) => problem.message.startsWith(`${s}: `));
  const param = source === undefined ? undefined : sources.get(source);
  if (param === undefined) return problem;
  const sourceLine = param.line === undefined ? undefined : lines[param.line - 1];
  const column = sourceLine === undefined ? 1 : sourceLine.search(/\S/) + 1;
  return {
    ...problem,
    file,
    ...(param.line === undefined ? {} : { position: { line: param.line, column } }),
    ...(sourceLine === undefined ? {} : { sourceLine }),
  };
}

/** A path relative to the working directory when it is inside it, else as it is. */
function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel;
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split(/\r?\n/);
  } catch {
    return [];
  }
}
