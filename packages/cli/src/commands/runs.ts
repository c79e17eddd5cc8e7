import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative, resolve } from "node:path";
import { alignColumns, isProcessAlive, listRuns } from "@tipi/wandb";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { compareRuns } from "../report/compare-runs.ts";
import { resolveRunRef } from "../report/resolve-report-target.ts";
import { readRunData } from "../report/run-data.ts";
import { formatDuration, formatMetric } from "../ui/format.ts";
import { toJsonLine } from "../ui/json-renderer.ts";
import { runsElsewhereHint } from "./runs-elsewhere.ts";

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * The stored status, except that a run still `running` whose process is gone from this host
 * (SIGKILL, a crash, the machine's OOM killer) shows as `crashed`: it will never finish, and
 * `tipi run … --resume` continues it.
 */
function shownStatus(
  stored: string | undefined,
  record: Record<string, unknown> | undefined,
  dir: string,
): string {
  if (stored !== "running" || typeof record?.pid !== "number") return stored ?? "unknown";
  const host = readJson(join(dir, "meta.json"))?.hostname;
  if (host !== undefined && host !== hostname()) return stored;
  return isProcessAlive(record.pid) ? stored : "crashed";
}

/** Up to four numeric summary values, accuracy and loss first. */
function keyMetrics(summary: Record<string, unknown> | undefined): Record<string, number> {
  const numeric = Object.entries(summary ?? {}).filter(
    (entry): entry is [string, number] => typeof entry[1] === "number" && !entry[0].startsWith("_"),
  );
  const rank = (key: string) => (/acc/i.test(key) ? 0 : /loss/i.test(key) ? 1 : 2);
  numeric.sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
  return Object.fromEntries(numeric.slice(0, 4));
}

/** `tipi runs`: the run directories with status, duration and key metrics. */
export async function runsCommand(args: ParsedArgs): Promise<number> {
  const root = resolve(String(args.options.runs ?? "runs"));
  if (args.options.compare) return compareCommand(args, root);
  if (args.positionals.length > 1)
    throw new UsageError(
      `unexpected argument "${args.positionals[1]}"`,
      "to compare two runs: tipi runs --compare <run> <run>",
    );
  const filter = args.positionals[0];
  const runs = listRuns(root)
    .filter((run) => filter === undefined || run.pipeline === filter)
    .map((run) => {
      const status = readJson(join(run.dir, "status.json"));
      const updatedAt = typeof status?.updatedAt === "string" ? Date.parse(status.updatedAt) : NaN;
      const durationMs = updatedAt - Date.parse(run.createdAt);
      return {
        pipeline: run.pipeline,
        runId: run.runId,
        status: shownStatus(run.status, status, run.dir),
        createdAt: run.createdAt,
        durationMs: Number.isFinite(durationMs) ? durationMs : undefined,
        metrics: keyMetrics(readJson(join(run.dir, "summary.json"))),
        dir: relative(process.cwd(), run.dir) || run.dir,
      };
    });
  if (args.options.json) {
    process.stdout.write(`${toJsonLine(runs)}\n`);
    return EXIT.ok;
  }
  if (runs.length === 0) {
    process.stdout.write(`no runs under ${relative(process.cwd(), root) || root}\n`);
    const elsewhere = filter === undefined ? runsElsewhereHint(root) : undefined;
    if (elsewhere !== undefined) process.stdout.write(`  hint: ${elsewhere}\n`);
    return EXIT.ok;
  }
  const rows = [
    ["PIPELINE", "RUN", "STATUS", "STARTED", "DURATION", "METRICS"],
    ...runs.map((r) => [
      r.pipeline,
      r.runId,
      r.status,
      r.createdAt.replace("T", " ").slice(0, 19),
      r.durationMs === undefined ? "-" : formatDuration(r.durationMs),
      Object.entries(r.metrics)
        .map(([k, v]) => `${k}=${formatMetric(v)}`)
        .join(" "),
    ]),
  ];
  for (const line of alignColumns(rows)) process.stdout.write(`${line}\n`);
  return EXIT.ok;
}

/** `tipi runs --compare a b`: the key metrics of two runs side by side, and their config differences. */
function compareCommand(args: ParsedArgs, root: string): number {
  if (args.positionals.length !== 2)
    throw new UsageError(
      `--compare takes two runs, got ${args.positionals.length}`,
      "tipi runs --compare <run> <run> (run ids, unique prefixes, `last`, or paths)",
    );
  const dirs = args.positionals.map((spec) => {
    const dir = resolveRunRef(root, spec);
    if (dir === undefined)
      throw new UsageError(
        `no run "${spec}" under ${relative(process.cwd(), root) || root}`,
        runsElsewhereHint(root) ??
          "a run id, a unique prefix of one, `last`, `last~1` (the one before), or a run directory",
      );
    return dir;
  });
  const comparison = compareRuns(dirs.map(readRunData));
  if (args.options.json) {
    process.stdout.write(`${toJsonLine(comparison)}\n`);
    return EXIT.ok;
  }
  const [a, b] = comparison.runs as [(typeof comparison.runs)[0], (typeof comparison.runs)[0]];
  const cell = (v: number | undefined) => (v === undefined ? "-" : formatMetric(v));
  const delta = (x: number | undefined, y: number | undefined) => {
    if (x === undefined || y === undefined) return "";
    const d = y - x;
    return formatMetric(d);
  };
  const text = (v: unknown) =>
    typeof v === "string" ? v : v === undefined ? "-" : JSON.stringify(v);
  const rows: string[][] = [
    ["", "A", "B", "B - A"],
    ["run", a.title, b.title, ""],
    ["status", a.status, b.status, ""],
    [
      "duration",
      a.durationMs === undefined ? "-" : formatDuration(a.durationMs),
      b.durationMs === undefined ? "-" : formatDuration(b.durationMs),
      "",
    ],
    ...comparison.metrics.map((m) => [
      m.key,
      cell(m.values[0]),
      cell(m.values[1]),
      delta(m.values[0], m.values[1]),
    ]),
  ];
  if (comparison.config.length > 0) {
    rows.push(["", "", "", ""], ["config (differs)", "", "", ""]);
    for (const c of comparison.config) rows.push([c.key, text(c.values[0]), text(c.values[1]), ""]);
  } else {
    rows.push(["", "", "", ""], ["config", "same", "same", ""]);
  }
  for (const line of alignColumns(rows)) process.stdout.write(`${line}\n`);
  return EXIT.ok;
}
