/**
 * Suggests trial parameters: grid (W&B's exact order), random and bayes, all seeded.
 * Suggestion `i` depends only on the seed, `i` and the trials seen so far, so a resumed sweep
 * makes the same suggestions as an uninterrupted one.
 */
import type { SweepConfig, SweepMethod } from "../config/types.ts";
import { suggestBayes } from "./bayes.ts";
import { gridValues, ppf } from "./distributions.ts";
import { createRng } from "./math.ts";
import { nestParams, paramValue, type TrialParams, valuesHash } from "./params.ts";

/** What a search may know about earlier trials. */
export interface TrialObservation {
  readonly params: TrialParams;
  /** The trial's final (or, while running, latest) metric value; undefined when unknown. */
  readonly metric?: number;
  readonly status: "pending" | "running" | "finished" | "failed" | "stopped";
}

export interface Search {
  readonly method: SweepMethod;
  /** How many suggestions the search can make (grid), or undefined when unbounded. */
  readonly size: number | undefined;
  /** The parameters of trial number `index`, or undefined when the search is exhausted. */
  next(index: number, trials: readonly TrialObservation[]): TrialParams | undefined;
}

export interface SearchOptions {
  readonly seed: number;
}

function createGridSearch(config: SweepConfig): Search {
  const params = config.parameters;
  const axes = params.map((p) => gridValues(p.spec));
  const combos: unknown[][] = [];
  const seen = new Set<string>();
  const walk = (depth: number, acc: unknown[]) => {
    if (depth === axes.length) {
      const hash = valuesHash(acc);
      if (!seen.has(hash)) {
        seen.add(hash);
        combos.push([...acc]);
      }
      return;
    }
    for (const value of axes[depth] ?? []) walk(depth + 1, [...acc, value]);
  };
  walk(0, []);
  return {
    method: "grid",
    size: combos.length,
    next(_index, trials) {
      const done = new Set(
        trials.map((t) => valuesHash(params.map((p) => paramValue(t.params, p)))),
      );
      const combo = combos.find((values) => !done.has(valuesHash(values)));
      return combo && nestParams(params, combo);
    },
  };
}

/** Draws every parameter once from its distribution, with a generator private to trial `index`. */
export function sampleParams(config: SweepConfig, seed: number, index: number): TrialParams {
  const random = createRng(seed, index);
  return nestParams(
    config.parameters,
    config.parameters.map((p) => ppf(p.spec, random())),
  );
}

/**
 * Creates the search a sweep config asks for.
 * @example
 * const search = createSearch(config, { seed: 1 });
 * const first = search.next(0, []); // { batch_size: 32, optimizer: { lr: 0.001 } }
 */
export function createSearch(config: SweepConfig, opts: SearchOptions): Search {
  switch (config.method) {
    case "grid":
      return createGridSearch(config);
    case "random":
      return {
        method: "random",
        size: undefined,
        next: (index) => sampleParams(config, opts.seed, index),
      };
    case "bayes":
      return {
        method: "bayes",
        size: undefined,
        next: (index, trials) => suggestBayes(config, trials, { seed: opts.seed, index }),
      };
  }
}
