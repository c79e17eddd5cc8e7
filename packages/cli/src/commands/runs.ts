import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { listRuns } from "@tipi/wandb";
import { EXIT } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { formatDuration, formatMetric } from "../ui/format.ts";
import { toJsonLine } from "../ui/json-renderer.ts";

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Up to four numeric summary values, accuracy and loss first. */
export function keyMetrics(summary: Record<string, unknown> | undefined): Record<string, number> {
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
        status: run.status ?? "unknown",
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
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) {
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd()}\n`,
    );
  }
  return EXIT.ok;
}
