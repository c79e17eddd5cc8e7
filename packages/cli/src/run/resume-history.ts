import type { TipiEvent } from "@tipi/core";
import { readHistory } from "@tipi/wandb";

/**
 * For a resumed run: a test that says whether a `metric` event repeats a row `history.jsonl`
 * already holds (same `step`, same metric names). A run resumed from a checkpoint replays the
 * steps after it; what they log again is dropped, so the history (and W&B, whose `_step` is the
 * row's index) holds each step once. Rows without a step are never dropped.
 */
export function repeatedMetricFilter(runDir: string): (event: TipiEvent) => boolean {
  const seen = new Set<string>();
  for (const row of readHistory(runDir)) {
    if (row.step !== undefined) seen.add(rowKey(row.step, row.values));
  }
  return (event) => {
    if (event.type !== "metric" || event.step === undefined) return false;
    const key = rowKey(event.step, event.values);
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  };
}

function rowKey(step: number, values: Readonly<Record<string, number>>): string {
  return `${step}|${Object.keys(values).sort().join(",")}`;
}
