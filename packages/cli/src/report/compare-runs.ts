/** Two or more runs side by side: their summary metrics and the config keys where they differ. */
import { flattenConfig } from "./render-run.ts";
import type { RunData } from "./run-data.ts";

export interface ComparedRow {
  readonly key: string;
  /** One value per run (`undefined` where a run lacks the key). */
  readonly values: readonly (number | undefined)[];
}

export interface ConfigDifference {
  readonly key: string;
  readonly values: readonly unknown[];
}

export interface RunComparison {
  readonly runs: readonly Pick<RunData, "dir" | "title" | "status" | "durationMs">[];
  readonly metrics: readonly ComparedRow[];
  readonly config: readonly ConfigDifference[];
}

/** Test metrics first, then validation, accuracy, loss, the rest; alphabetical within. */
function metricOrder(a: string, b: string): number {
  const rank = (key: string) =>
    key.startsWith("test/")
      ? 0
      : key.startsWith("val")
        ? 1
        : /acc/.test(key)
          ? 2
          : /loss/.test(key)
            ? 3
            : 4;
  return rank(a) - rank(b) || a.localeCompare(b);
}

export function compareRuns(runs: readonly RunData[]): RunComparison {
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.summary)))].sort(metricOrder);
  const configs = runs.map((run) => new Map(flattenConfig(run.config ?? {})));
  const configKeys = [...new Set(configs.flatMap((c) => [...c.keys()]))];
  return {
    runs: runs.map(({ dir, title, status, durationMs }) => ({
      dir,
      title,
      status,
      ...(durationMs === undefined ? {} : { durationMs }),
    })),
    metrics: keys.map((key) => ({ key, values: runs.map((run) => run.summary[key]) })),
    config: configKeys
      .map((key) => ({ key, values: configs.map((c) => c.get(key)) }))
      .filter((row) => new Set(row.values.map((v) => JSON.stringify(v))).size > 1),
  };
}
