/**
 * A sweep file as the W&B server receives it (`UpsertSweep`'s `config`, YAML text), and the
 * `entity/project/sweep-id` paths agents are started with.
 */
import { readFile } from "node:fs/promises";
import { SweepConfigError } from "../sweep/config/errors.ts";
import { parseSweepConfig } from "../sweep/config/parse-config.ts";
import type { SweepConfig } from "../sweep/config/types.ts";
import { type ParsedSource, pathKey, type SourcePath } from "../sweep/source/parsed-source.ts";
import { parseToml } from "../sweep/source/toml.ts";
import { parseYaml11 } from "../sweep/source/yaml11.ts";
import { TIPI_DEFAULT_COMMAND } from "./command-line.ts";

export interface SweepForServer {
  /** The validated config (as the local controller reads it). */
  readonly config: SweepConfig;
  /** The YAML text for `UpsertSweep`, with `program` and `command` filled in. */
  readonly yaml: string;
  /** The file's own `program`, when the pipeline replaced it (as `wandb sweep --program` does). */
  readonly replacedProgram?: string;
}

/**
 * Reads and validates a sweep file (YAML 1.1 or TOML) and renders it for the W&B server:
 * `program` is `pipeline`, `command` defaults to `tipi run ${program} ${args}`, and numbers
 * written as floats stay floats (`1.0`, `1.0e-05`), so the server infers the same
 * distributions as the local controller.
 * @throws SweepConfigError naming the file, key path and line.
 */
export async function sweepForServer(file: string, pipeline: string): Promise<SweepForServer> {
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new SweepConfigError(
      [{ path: [], message: `cannot read sweep file (${error.code ?? error.message})` }],
      file,
    );
  });
  let source: ParsedSource;
  try {
    source = file.toLowerCase().endsWith(".toml") ? parseToml(text) : parseYaml11(text);
  } catch (error) {
    const line = (error as { line?: number }).line;
    throw new SweepConfigError(
      [{ path: [], message: (error as Error).message, ...(line ? { line } : {}) }],
      file,
    );
  }
  const config = parseSweepConfig(source.value, {
    file,
    floats: source.floats,
    lines: source.lines,
  });
  const raw = { ...(source.value as Record<string, unknown>) };
  const replaced =
    typeof raw.program === "string" && raw.program !== pipeline ? raw.program : undefined;
  raw.program = pipeline;
  raw.command ??= [...TIPI_DEFAULT_COMMAND];
  return {
    config,
    yaml: `${emit(raw, [], source.floats)}\n`,
    ...(replaced === undefined ? {} : { replacedProgram: replaced }),
  };
}

/**
 * YAML in flow style (JSON with YAML 1.1-safe numbers): a float is always written with a
 * dot (`1.0`, `1.0e-05`), since PyYAML reads `1e-05` as a string.
 */
function emit(value: unknown, path: SourcePath, floats: ReadonlySet<string>): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return yamlNumber(value, floats.has(pathKey(path)));
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value))
    return `[${value.map((v, i) => emit(v, [...path, i], floats)).join(", ")}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${JSON.stringify(k)}: ${emit(v, [...path, k], floats)}`)
    .join(", ")}}`;
}

function yamlNumber(value: number, writtenAsFloat: boolean): string {
  if (Number.isNaN(value)) return ".nan";
  if (!Number.isFinite(value)) return value > 0 ? ".inf" : "-.inf";
  if (Number.isInteger(value) && !writtenAsFloat && Math.abs(value) < 1e21) return String(value);
  const [mantissa, exponent] = value.toExponential().split("e") as [string, string];
  const e = Number(exponent);
  if (e >= -4 && e < 16) {
    const fixed = String(value);
    return fixed.includes(".") ? fixed : `${fixed}.0`;
  }
  const digits = mantissa.includes(".") ? mantissa : `${mantissa}.0`;
  return `${digits}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/** A sweep named as `entity/project/id`, `project/id` or `id`. */
export interface SweepPath {
  readonly entity?: string;
  readonly project?: string;
  readonly sweep: string;
}

/**
 * Splits a sweep path the way the wandb CLI does.
 * @throws Error for more than three parts or an empty id.
 */
export function parseSweepPath(text: string): SweepPath {
  const parts = text.trim().split("/");
  const sweep = parts.at(-1) ?? "";
  if (parts.length > 3 || sweep === "")
    throw new Error(
      `"${text}" is not a sweep: write entity/project/sweep-id (or project/sweep-id)`,
    );
  const [entity, project] = parts.length === 3 ? parts : [undefined, parts[0]];
  return {
    sweep,
    ...(entity ? { entity } : {}),
    ...(parts.length >= 2 && project ? { project } : {}),
  };
}
