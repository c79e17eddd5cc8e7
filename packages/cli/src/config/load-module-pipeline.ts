import { basename } from "node:path";
import type { AnyPipeline } from "@tipi/core";
import { UsageError } from "../cli/errors.ts";
import { describeImportFailure, importUserModule } from "./import-user-module.ts";
import type { LoadedPipeline, LoadOptions } from "./load-pipeline.ts";
import { stepNeedsProblems } from "./permanence-params.ts";
import { type ConfigProblem, ConfigProblems } from "./problems.ts";
import type { Target } from "./resolve-target.ts";

/**
 * Loads a pipeline module: its default export (or `pipeline`), and its `input` export as what
 * `run()` receives. Throws {@link UsageError} for overrides (they need a TOML pipeline) and
 * {@link ConfigProblems} when the module cannot be imported or exports no pipeline.
 */
export async function loadModulePipeline(
  target: Target,
  options: LoadOptions,
): Promise<LoadedPipeline> {
  if ((options.overrides?.length ?? 0) > 0 || (options.configFiles?.length ?? 0) > 0) {
    throw new UsageError(
      `config overrides need a TOML pipeline; ${target.file} is a module`,
      "set values in the module, or give the pipeline a pipeline.toml",
    );
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importUserModule(target.file);
  } catch (error) {
    const failure = describeImportFailure(error, target.file);
    throw new ConfigProblems([
      {
        file: failure.at?.file ?? target.file,
        ...(failure.at === undefined
          ? {}
          : { position: { line: failure.at.line, column: failure.at.column } }),
        ...(failure.sourceLine === undefined ? {} : { sourceLine: failure.sourceLine }),
        message: `cannot load the module: ${failure.message}`,
        ...(failure.hint === undefined ? {} : { hint: failure.hint }),
      },
    ]);
  }
  const pipeline = mod.default ?? mod.pipeline;
  if (!isPipeline(pipeline)) {
    throw new ConfigProblems([notAPipelineProblem(target.file, mod)]);
  }
  const described = pipeline.describe();
  // tsx does not type-check: an open join (a compile error in `run()`) would otherwise start a
  // run, make its directory and fail at the join.
  const open = described.steps.filter((step) => step.kind === "join" && step.impl === undefined);
  if (open.length > 0) {
    throw new ConfigProblems(
      open.map((step) => ({
        file: target.file,
        message: `join "${step.name}" has no implementation: the exported pipeline must call provideJoin("${step.name}", …)`,
        hint: `export default pipeline.provideJoin("${step.name}", ${step.name === "train" ? "trainJoin()" : "yourImplementation"}) (${step.name === "train" ? 'trainJoin from "tipi" is the default training loop; ' : ""}see docs/custom-training.md)`,
      })),
    );
  }
  // The permanences trainJoin() and evaluateStage() read, by the names they were given.
  const missing = stepNeedsProblems(pipeline, target.file);
  if (missing.length > 0) throw new ConfigProblems(missing);
  if (options.seed !== undefined) {
    // It only reaches meta.json: a module builds its permanences, seeds included, in its code.
    process.stderr.write(
      `note: --seed ${options.seed} does not reach ${basename(target.file)}, a module (it is only recorded with the run): set the seed in its code, e.g. new Hyperparameters({ seed })\n`,
    );
  }
  return {
    name: described.name === "pipeline" ? target.defaultName : described.name,
    target,
    pipeline,
    config: undefined,
    seed: options.seed,
    logger: undefined,
    input: mod.input ?? {},
  };
}

/**
 * What to say when the module exports no pipeline by default: a named export that is one is
 * the line to add; a module without a default export is likely a script (it may have run its
 * pipeline itself while it was imported).
 */
function notAPipelineProblem(file: string, mod: Record<string, unknown>): ConfigProblem {
  const named = Object.keys(mod).filter((key) => key !== "default" && isPipeline(mod[key]));
  if (mod.default === undefined) {
    return {
      file,
      message: "the module has no default export: tipi run runs the pipeline a module exports",
      hint:
        named.length > 0
          ? `add: export default ${named.at(-1)};`
          : `export default the pipeline, without calling run() in the module; or run the file as a script: npx tsx ${basename(file)}`,
    };
  }
  return {
    file,
    message: "the module's default export is not a pipeline",
    hint:
      named.length > 0
        ? `export default ${named.at(-1)} instead`
        : "export default Pipeline.create(…)…",
  };
}

function isPipeline(value: unknown): value is AnyPipeline {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AnyPipeline).run === "function" &&
    typeof (value as AnyPipeline).describe === "function"
  );
}
