/** Parameter sets that exercise every value type a sweep can give its trials, to check up front. */
import type { SweepConfig } from "../config/types.ts";
import { nestParams, paramValue, stableStringify, type TrialParams } from "./params.ts";
import { createSearch } from "./search.ts";

/**
 * The first trial's parameters, plus one variant per other value of each `values` parameter (a
 * list may mix types: `[32, "auto"]`). Ranges give numbers of one type, so one sample covers
 * them. A pipeline that accepts all of these accepts every trial of the sweep as far as keys and
 * types go: checking them before the first trial turns "every trial failed" into one error.
 */
export function parameterSamples(config: SweepConfig, seed = 0): TrialParams[] {
  if (config.parameters.length === 0) return [];
  const first = createSearch(config, { seed }).next(0, []);
  if (first === undefined) return [];
  const values = config.parameters.map((p) => paramValue(first, p));
  const samples = new Map<string, TrialParams>([[stableStringify(first), first]]);
  config.parameters.forEach((param, i) => {
    const spec = param.spec;
    if (spec.distribution !== "categorical" && spec.distribution !== "categorical_w_probabilities")
      return;
    for (const value of spec.values) {
      const variant = nestParams(
        config.parameters,
        values.map((v, j) => (j === i ? value : v)),
      );
      samples.set(stableStringify(variant), variant);
    }
  });
  return [...samples.values()];
}
