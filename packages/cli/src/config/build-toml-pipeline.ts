import {
  type AnyPipeline,
  buildPipeline,
  type ConfigIssue,
  err,
  isTable,
  ok,
  type Registry,
  type Result,
} from "@tipi/core";
import { type AppliedOverride, setAt, valueAt } from "./overrides.ts";
import type { ConfigProblem } from "./problems.ts";
import type { TomlDocument, TomlTable } from "./toml-document.ts";

/**
 * Builds the pipeline `config` describes, each issue located in the file (or on the command
 * line) that wrote it. An override with no value to replace was typed as a TOML literal; when
 * the schema rejects exactly that value, it gets the text as a string instead (`config` changes).
 */
export function buildTomlPipeline(
  config: TomlTable,
  registry: Registry,
  docs: readonly TomlDocument[],
  applied: readonly AppliedOverride[],
): Result<AnyPipeline, ConfigProblem[]> {
  let built = buildPipeline(withoutCliKeys(config), registry);
  if (built.isErr()) {
    const retyped = retypeGuessed(config, applied, built.error);
    if (retyped) built = buildPipeline(withoutCliKeys(config), registry);
  }
  if (built.isErr()) return err(built.error.map((issue) => locate(docs, applied, issue)));
  return ok(built.value);
}

/**
 * Locates a problem: a value a command-line override wrote is the command line's (`--set a.b=v`),
 * else the last of `docs` that writes its path (an overlay wins).
 */
export function locate(
  docs: readonly TomlDocument[],
  applied: readonly AppliedOverride[],
  issue: ConfigIssue,
): ConfigProblem {
  const key = JSON.stringify(issue.path);
  const override = applied.findLast((a) => JSON.stringify(a.path) === key);
  if (override !== undefined) {
    return {
      file: "command line",
      path: issue.path,
      message: `${override.override.source}: ${override.mismatch ?? issue.message}`,
      ...(issue.hint === undefined ? {} : { hint: issue.hint }),
    };
  }
  const doc = [...docs].reverse().find((d) => d.locatedPaths().includes(key)) ?? docs[0]!;
  return doc.problem(issue.path, issue.message, issue.hint);
}

/** Core reads `[pipeline] name`; the other `[pipeline]` keys are the CLI's. */
function withoutCliKeys(config: TomlTable): TomlTable {
  const { pipeline: table, ...rest } = config;
  if (table === undefined) return config;
  if (!isTable(table)) return rest;
  return { ...config, pipeline: typeof table.name === "string" ? { name: table.name } : {} };
}

/**
 * Gives each override the schema rejected its other reading: a guessed literal its text back,
 * a text typed as a string its TOML literal (`workers=1` over `workers = "auto"`). True when
 * one changed.
 */
function retypeGuessed(
  config: TomlTable,
  applied: readonly AppliedOverride[],
  issues: readonly ConfigIssue[],
): boolean {
  let changed = false;
  for (const a of applied) {
    const other =
      a.alternative !== undefined
        ? a.alternative
        : a.guessed && typeof valueAt(config, a.path) !== "string"
          ? a.override.value
          : undefined;
    if (other === undefined) continue;
    const hit = issues.some((i) => JSON.stringify(i.path) === JSON.stringify(a.path));
    if (hit) {
      setAt(config, a.path, other);
      changed = true;
    }
  }
  return changed;
}
