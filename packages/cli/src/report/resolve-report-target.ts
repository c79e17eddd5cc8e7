/**
 * What `tipi report <target>` points at: a run directory, a sweep directory, a run id (or a
 * unique prefix, or `last`), or a pipeline (its newest run). Anything else is a usage error.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { listRuns, resolveRunDir } from "@tipi/wandb";
import { parse } from "smol-toml";
import { UsageError } from "../cli/errors.ts";
import { runsElsewhereHint } from "../commands/runs-elsewhere.ts";
import { resolveTarget } from "../config/resolve-target.ts";
import { looksLikeRun, RUN_MARKERS } from "./run-data.ts";
import { looksLikeSweep } from "./sweep-data.ts";

export interface ReportTarget {
  readonly kind: "run" | "sweep";
  readonly dir: string;
}

const shown = (path: string) => relative(process.cwd(), path) || path;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The sweeps under a runs root: `<root>/sweeps/<name>/sweep.json`. */
export function listSweepDirs(root: string): string[] {
  const base = join(root, "sweeps");
  try {
    return readdirSync(base)
      .map((name) => join(base, name))
      .filter((dir) => looksLikeSweep(dir))
      .sort();
  } catch {
    return [];
  }
}

/**
 * A run named on the command line: what {@link resolveRunDir} accepts (an id, a unique prefix,
 * `last`, a path) and `last~N`, the Nth run before the newest.
 */
export function resolveRunRef(root: string, spec: string): string | undefined {
  const back = /^last~(\d+)$/.exec(spec);
  if (back) return listRuns(root).at(-1 - Number(back[1]))?.dir;
  return resolveRunDir(root, undefined, spec);
}

/** The pipeline name a pipeline file gives its runs (`[pipeline].name`, else its default). */
function pipelineName(spec: string): string | undefined {
  let target: ReturnType<typeof resolveTarget>;
  try {
    target = resolveTarget(spec);
  } catch {
    return undefined;
  }
  if (target.kind === "toml") {
    try {
      const doc = parse(readFileSync(target.file, "utf8")) as { pipeline?: { name?: unknown } };
      if (typeof doc.pipeline?.name === "string") return doc.pipeline.name;
    } catch {
      // The name from the file's location is the next best guess.
    }
  }
  return target.defaultName;
}

function directoryTarget(spec: string, dir: string, root: string): ReportTarget | undefined {
  if (looksLikeSweep(dir) || existsSync(join(dir, "trials"))) return { kind: "sweep", dir };
  const entries = readdirSync(dir);
  if (looksLikeRun(dir) || entries.length === 0) return { kind: "run", dir };
  const children = entries
    .map((name) => join(dir, name))
    .filter((d) => isDirectory(d) && looksLikeRun(d));
  const runs = children.length > 0 ? children.sort() : listRuns(dir).map((r) => r.dir);
  if (runs.length > 0) {
    throw new UsageError(
      `${spec} is not a run directory: it holds ${runs.length} run${runs.length === 1 ? "" : "s"}`,
      `pass one of them (e.g. ${shown(runs.at(-1) as string)}); "tipi ui" browses them all`,
    );
  }
  const name = pipelineName(spec);
  if (name !== undefined) {
    const last = resolveRunDir(root, name, "last");
    if (last) return { kind: "run", dir: last };
    throw new UsageError(
      `pipeline ${name} has no runs under ${shown(root)}`,
      `run it first ("tipi run ${spec}"), or point --runs at its runs`,
    );
  }
  throw new UsageError(
    `${spec} is not a run directory: it has none of ${RUN_MARKERS.join(", ")}`,
    "pass a run directory (runs/<pipeline>/<run-id>), a sweep directory, a run id or a pipeline",
  );
}

/**
 * Resolves `spec` (default `last`, the newest run) against the working directory and the runs
 * root. Throws {@link UsageError} (exit 2) when it names no run, sweep or pipeline with runs.
 */
export function resolveReportTarget(spec: string | undefined, root: string): ReportTarget {
  const wanted = spec ?? "last";
  const path = resolve(wanted);
  if (existsSync(path)) {
    if (!isDirectory(path)) {
      throw new UsageError(
        `${wanted} is a file, not a run directory`,
        "pass the directory that holds meta.json, history.jsonl and summary.json (or sweep.json)",
      );
    }
    const target = directoryTarget(wanted, path, root);
    if (target) return target;
  }
  const run = resolveRunRef(root, wanted);
  if (run) return { kind: "run", dir: run };
  const sweep = listSweepDirs(root).find(
    (dir) => dir.endsWith(`/${wanted}`) || dir.split("/").at(-1)?.endsWith(`-${wanted}`),
  );
  if (sweep) return { kind: "sweep", dir: sweep };
  const name = spec === undefined ? undefined : pipelineName(wanted);
  const last = resolveRunDir(root, name ?? wanted, "last");
  if (last) return { kind: "run", dir: last };
  if (spec === undefined)
    throw new UsageError(
      `no runs under ${shown(root)}`,
      runsElsewhereHint(root) ?? "run a pipeline first, or pass --runs <dir>",
    );
  throw new UsageError(
    `no run, sweep or pipeline "${wanted}" (looked under ${shown(root)})`,
    runsElsewhereHint(root) ?? `"tipi runs --runs ${shown(root)}" lists the runs`,
  );
}
