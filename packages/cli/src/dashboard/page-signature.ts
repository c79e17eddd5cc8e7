/**
 * Cheap fingerprints of what the run list and a sweep page show (file sizes and times), so the
 * dashboard can tell a page that its directory changed without reading any file's content.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { listRuns } from "@tipi/wandb";
import { listSweepDirs } from "../report/resolve-report-target.ts";

function stamp(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.mtimeMs}:${stat.size}`;
  } catch {
    return "-";
  }
}

/** Changes when a run or sweep appears or goes, or a run's status or summary is rewritten. */
export function indexSignature(root: string): string {
  const runs = listRuns(root).map(
    (run) =>
      `${run.dir}|${stamp(join(run.dir, "status.json"))}|${stamp(join(run.dir, "summary.json"))}`,
  );
  const sweeps = listSweepDirs(root).map((dir) => `${dir}|${stamp(join(dir, "sweep.json"))}`);
  return [...runs, ...sweeps].join("\n");
}

/** Changes when `sweep.json` is rewritten or a trial's history grows. */
export function sweepSignature(dir: string): string {
  let trials: string[];
  try {
    trials = readdirSync(join(dir, "trials")).sort();
  } catch {
    trials = [];
  }
  return [
    stamp(join(dir, "sweep.json")),
    ...trials.map((id) => `${id}|${stamp(join(dir, "trials", id, "history.jsonl"))}`),
  ].join("\n");
}
