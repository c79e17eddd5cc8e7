import { writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { runPage, sweepPage } from "../report/pages.ts";
import { resolveReportTarget } from "../report/resolve-report-target.ts";
import { readRunData } from "../report/run-data.ts";
import { readSweepData } from "../report/sweep-data.ts";

/**
 * `tipi report [run | sweep | pipeline] [--out file.html]`: one self-contained HTML file
 * (default `<dir>/report.html`; `--out -` prints it). What the directory lacks is listed on
 * stderr and at the top of the page; exit 2 when the target is not a run or sweep.
 */
export async function reportCommand(args: ParsedArgs): Promise<number> {
  const root = resolve(String(args.options.runs ?? "runs"));
  const target = resolveReportTarget(args.positionals[0], root);
  const data = target.kind === "run" ? readRunData(target.dir) : readSweepData(target.dir);
  const text = data.kind === "run" ? runPage(data) : sweepPage(data);
  const out =
    args.options.out === undefined ? join(target.dir, "report.html") : String(args.options.out);
  const shown = (path: string) => relative(process.cwd(), path) || path;
  for (const note of data.notes) process.stderr.write(`tipi report: ${note}\n`);
  if (out === "-") {
    process.stdout.write(text);
    return EXIT.ok;
  }
  try {
    writeFileSync(out, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot write the report to ${out}: ${code === "ENOENT" ? "no such directory" : (error as Error).message}`,
      "pass --out with a file in an existing, writable directory (or --out - for stdout)",
    );
  }
  process.stdout.write(
    `${data.kind} report of ${shown(target.dir)}: ${shown(resolve(out))} (${Math.round(text.length / 1024)} KB, works offline)\n`,
  );
  return EXIT.ok;
}
