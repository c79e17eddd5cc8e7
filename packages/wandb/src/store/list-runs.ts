import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { readJson } from "./jsonl.ts";
import {
  _safePipelineSegment,
  RUN_FILES,
  type RunMeta,
  type RunStatus,
  type RunStatusRecord,
} from "./run-store.ts";

/** One run found under a runs root. */
export interface RunInfo {
  readonly pipeline: string;
  readonly runId: string;
  readonly dir: string;
  /** `undefined` when `status.json` is missing (a run that died before its first write). */
  readonly status: RunStatus | undefined;
  readonly createdAt: string;
}

/** Every run under `root` (`<root>/<pipeline>/<runId>/meta.json`), oldest first. */
export function listRuns(root: string): RunInfo[] {
  const runs: RunInfo[] = [];
  for (const pipelineDir of subdirectories(resolve(root))) {
    for (const dir of subdirectories(pipelineDir)) {
      const info = readRunInfo(dir);
      if (info !== undefined) runs.push(info);
    }
  }
  return runs.sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.runId, b.runId));
}

/**
 * Finds a run directory: `idOrLast` is `"last"` (the newest run of `pipeline`, or of any
 * pipeline when `pipeline` is undefined), a run id or a unique prefix of one, or a path to a
 * run directory. Returns `undefined` when nothing (or more than one run) matches.
 */
export function resolveRunDir(
  root: string,
  pipeline: string | undefined,
  idOrLast: string,
): string | undefined {
  const asPath = resolve(idOrLast);
  if (
    (idOrLast.includes("/") || idOrLast.startsWith(".")) &&
    existsSync(join(asPath, RUN_FILES.meta))
  ) {
    return asPath;
  }
  const candidates = listRuns(root).filter(
    (run) =>
      pipeline === undefined ||
      _safePipelineSegment(pipeline) === _safePipelineSegment(run.pipeline),
  );
  if (idOrLast === "last") return candidates.at(-1)?.dir;
  const exact = candidates.filter((run) => run.runId === idOrLast);
  if (exact.length === 1) return exact[0]?.dir;
  const prefixed = candidates.filter((run) => run.runId.startsWith(idOrLast));
  return prefixed.length === 1 ? prefixed[0]?.dir : undefined;
}

function readRunInfo(dir: string): RunInfo | undefined {
  let meta: RunMeta | undefined;
  try {
    meta = readJson<RunMeta>(join(dir, RUN_FILES.meta));
  } catch {
    return undefined;
  }
  if (meta === undefined) return undefined;
  let status: RunStatusRecord | undefined;
  try {
    status = readJson<RunStatusRecord>(join(dir, RUN_FILES.status));
  } catch {
    status = undefined;
  }
  return {
    pipeline: meta.pipeline,
    runId: meta.runId,
    dir,
    status: status?.status,
    createdAt: meta.createdAt,
  };
}

function subdirectories(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => join(dir, name))
    .filter((path) => {
      try {
        return statSync(path).isDirectory();
      } catch {
        return false;
      }
    });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
