import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { didYouMean } from "@tipi/core/did-you-mean";
import type { SweepConfig, SweepOutcome } from "@tipi/wandb";
import { EXIT } from "../cli/errors.ts";

/**
 * How a finished sweep ends: exit 1 when every trial failed, or when trials finished without
 * ever reporting the metric the sweep optimises (nothing could be ranked); otherwise 0, with a
 * warning line for the trials that failed. The lines go to stderr.
 */
export function sweepVerdict(
  outcome: SweepOutcome,
  config: SweepConfig,
): { readonly code: number; readonly lines: readonly string[] } {
  const trials = outcome.state.trials.filter((t) => t.status !== "pending");
  const failed = trials.filter((t) => t.status === "failed");
  const logOf = (id: string) =>
    relative(process.cwd(), join(outcome.sweepDir, "trials", `${id}.log`));
  if (trials.length > 0 && failed.length === trials.length) {
    const first = failed[0]!;
    return {
      code: EXIT.failed,
      lines: [
        `✖ every trial failed (${failed.length} of ${trials.length})`,
        ...(first.reason ? [`  ${first.id}: ${first.reason}`] : []),
        `  its log: ${logOf(first.id)}`,
      ],
    };
  }
  const lines =
    failed.length > 0
      ? [
          `⚠ ${failed.length} of ${trials.length} trials failed (${failed.map((t) => t.id).join(", ")}); logs: ${logOf(failed[0]!.id)}…`,
        ]
      : [];
  const metric = config.metric;
  const ranked = trials.some((t) => t.metric !== undefined);
  const finished = trials.filter((t) => t.status === "finished");
  if (metric !== undefined && !ranked && finished.length > 0) {
    const logged = loggedMetrics(join(outcome.sweepDir, "trials", finished[0]!.id));
    const hint = didYouMean(metric.name, logged);
    return {
      code: EXIT.failed,
      lines: [
        ...lines,
        `✖ no trial reported the sweep's metric "${metric.name}", so none could be ranked`,
        `  ${hint ? `${hint} ` : ""}the trials logged: ${logged.length > 0 ? logged.join(", ") : "no metrics"}`,
      ],
    };
  }
  return { code: EXIT.ok, lines };
}

/** The numeric values a trial's `summary.json` holds (every metric it logged). */
function loggedMetrics(runDir: string): string[] {
  try {
    const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")) as Record<
      string,
      unknown
    >;
    return Object.keys(summary).filter((key) => typeof summary[key] === "number");
  } catch {
    return [];
  }
}
