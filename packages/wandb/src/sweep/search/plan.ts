/** The trials a sweep would run, known before any of them ran (for `tipi sweep --dry-run`). */
import type { SweepConfig } from "../config/types.ts";
import { BAYES_INITIAL_RANDOM } from "./bayes.ts";
import type { TrialParams } from "./params.ts";
import { createSearch } from "./search.ts";

export interface SweepPlan {
  /** The trials known now, in the order they would run. */
  readonly trials: readonly TrialParams[];
  /** How many trials the sweep runs in all (undefined: no end). */
  readonly total: number | undefined;
  /** Why fewer trials are listed than will run (bayes: the rest follow the results). */
  readonly note?: string;
}

/**
 * Lists the trials of a sweep: a grid's combinations in W&B's order and random draws by the same
 * seeds the controller uses (both up to `run_cap`, else `count`); for bayes, the first random
 * draws only, since later suggestions depend on results.
 * @example
 * planTrials(config, { seed: 0, count: 4 }).trials.length; // 4
 */
export function planTrials(
  config: SweepConfig,
  options: { readonly seed?: number; readonly count?: number } = {},
): SweepPlan {
  const search = createSearch(config, { seed: options.seed ?? 0 });
  const cap = config.runCap ?? options.count;
  const total = search.size === undefined ? cap : Math.min(cap ?? search.size, search.size);
  const known =
    config.method === "bayes" ? Math.min(total ?? 0, BAYES_INITIAL_RANDOM) : (total ?? 0);
  const trials: TrialParams[] = [];
  for (let i = 0; i < known; i++) {
    const params = search.next(
      i,
      trials.map((t) => ({ params: t, status: "pending" as const })),
    );
    if (params === undefined) break;
    trials.push(params);
  }
  const rest = (total ?? 0) - trials.length;
  return {
    trials,
    total,
    ...(config.method === "bayes" && rest > 0
      ? { note: `the other ${rest} trial(s) are suggested from the results of these` }
      : {}),
  };
}
