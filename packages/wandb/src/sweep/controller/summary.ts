/** The sweep summary: a table of trials and the best config. */

import { alignColumns } from "../../text-table.ts";
import type { SweepConfig, SweepMetric } from "../config/types.ts";
import { formatFlagValue, paramValue } from "../search/params.ts";
import type { SweepState, TrialRecord } from "./sweep-state.ts";

/** The finished or stopped trial with the best metric. */
export function bestTrial(
  trials: readonly TrialRecord[],
  metric: SweepMetric,
): TrialRecord | undefined {
  const sign = metric.goal === "maximize" ? -1 : 1;
  let best: TrialRecord | undefined;
  for (const trial of trials) {
    if ((trial.status !== "finished" && trial.status !== "stopped") || trial.metric === undefined)
      continue;
    if (!best || sign * trial.metric < sign * (best.metric as number)) best = trial;
  }
  return best;
}

/** A metric value for people: integers as they are, others to 6 significant digits. */
export const formatMetric = (value: number | undefined): string =>
  value === undefined ? "-" : Number.isInteger(value) ? String(value) : value.toPrecision(6);

/**
 * Trials in the order of the summary: those with a metric (finished or stopped) best first in the
 * goal's direction, then the rest (failed, pending, no metric) in trial order.
 */
export function rankTrials(
  trials: readonly TrialRecord[],
  metric: SweepMetric | undefined,
): TrialRecord[] {
  const sign = metric?.goal === "maximize" ? -1 : 1;
  const ranked = (t: TrialRecord) =>
    metric !== undefined &&
    t.metric !== undefined &&
    (t.status === "finished" || t.status === "stopped");
  return [
    ...trials
      .filter(ranked)
      .sort((a, b) => sign * ((a.metric as number) - (b.metric as number)) || a.index - b.index),
    ...trials.filter((t) => !ranked(t)),
  ];
}

/** A parameter's value in a table cell: fractions to 6 significant digits, the rest as flags. */
export function formatParamCell(value: unknown): string {
  return typeof value === "number" && !Number.isInteger(value)
    ? String(Number(value.toPrecision(6)))
    : formatFlagValue(value);
}

/**
 * A plain-text table, one row per trial ranked by the metric in its goal's direction (rank, id,
 * status, metric, each searched parameter), then the best config.
 */
export function formatSweepTable(state: SweepState, config: SweepConfig): string {
  const shown = config.parameters.filter((p) => p.spec.distribution !== "constant");
  const columns = shown.length > 0 ? shown : config.parameters;
  const header = [
    "#",
    "trial",
    "status",
    state.metric?.name ?? "metric",
    ...columns.map((p) => p.key),
  ];
  const ranked = rankTrials(state.trials, state.metric);
  const rankedCount = ranked.filter(
    (t) =>
      state.metric && t.metric !== undefined && (t.status === "finished" || t.status === "stopped"),
  ).length;
  const rows = ranked.map((t, i) => [
    i < rankedCount ? String(i + 1) : "-",
    t.id,
    t.status,
    formatMetric(t.metric),
    ...columns.map((p) => formatParamCell(paramValue(t.params, p))),
  ]);
  const out = alignColumns([header, ...rows], { rule: true });
  const best = state.metric ? bestTrial(state.trials, state.metric) : undefined;
  if (best && state.metric) {
    out.push(
      "",
      `best: ${best.id} ${state.metric.name}=${formatMetric(best.metric)} (${state.metric.goal})`,
    );
    out.push(
      ...config.parameters.map(
        (p) => `  ${p.key} = ${formatFlagValue(paramValue(best.params, p))}`,
      ),
    );
  }
  return out.join("\n");
}
