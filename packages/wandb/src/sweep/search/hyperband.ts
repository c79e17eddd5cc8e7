/**
 * Hyperband early stopping as W&B computes it: fixed "bands" (iteration counts); at each
 * band the threshold is the value that the best 1/eta of all trials reached there; a running
 * trial past a band whose metric is worse than that band's threshold is stopped.
 */

/** Band milestones: `max_iter/eta^k` (k = 1..s, ≥ 1, ascending) or `min_iter·eta^k` (100 of them). */
export function hyperbandBands(opts: {
  eta: number;
  maxIter?: number;
  s?: number;
  minIter?: number;
}): number[] {
  const { eta } = opts;
  if (opts.maxIter !== undefined) {
    const bands: number[] = [];
    let band = opts.maxIter;
    for (let i = 0; i < (opts.s ?? 0); i++) {
      band /= eta;
      if (band < 1) break;
      bands.push(Math.trunc(band));
    }
    return bands.sort((a, b) => a - b);
  }
  if (opts.minIter !== undefined) {
    const bands: number[] = [];
    let band = opts.minIter;
    for (let i = 0; i < 100; i++) {
      bands.push(Math.trunc(band));
      band *= eta;
    }
    return bands;
  }
  return [];
}

export interface HyperbandTrial {
  readonly id: string;
  readonly running: boolean;
  /** The metric at each history row that has it (non-finite values already dropped). */
  readonly history: readonly number[];
}

export interface HyperbandDecision {
  /** Trials to stop now. */
  readonly stop: readonly string[];
  readonly bands: readonly number[];
  /** One threshold per band (in "lower is better" units: negated for maximize). */
  readonly thresholds: readonly number[];
}

/**
 * Decides which running trials to stop. Every trial with history (running or not) sets the
 * thresholds; `strict` compares the value at the band, otherwise the trial's best so far.
 */
export function hyperbandStop(
  trials: readonly HyperbandTrial[],
  opts: { bands: readonly number[]; eta: number; strict: boolean; goal: "minimize" | "maximize" },
): HyperbandDecision {
  const r = 1 / opts.eta;
  const sign = opts.goal === "maximize" ? -1 : 1;
  const histories = trials.map((t) => t.history.map((v) => sign * v));
  const thresholds = opts.bands.map((band) => {
    const atBand = histories.filter((h) => h.length >= band).map((h) => h[band - 1] as number);
    if (atBand.length === 0) return Number.POSITIVE_INFINITY;
    atBand.sort((a, b) => a - b);
    return atBand[Math.trunc(r * atBand.length)] as number;
  });
  const stop: string[] = [];
  trials.forEach((trial, i) => {
    const history = histories[i] ?? [];
    if (!trial.running || history.length === 0) return;
    let closest = -1;
    let threshold = 0;
    opts.bands.forEach((band, b) => {
      if (closest === b - 1 && band <= history.length) {
        closest = b;
        threshold = thresholds[b] as number;
      }
    });
    if (closest === -1) return;
    const band = opts.bands[closest] as number;
    const value = opts.strict ? (history[band - 1] as number) : Math.min(...history);
    if (value > threshold) stop.push(trial.id);
  });
  return { stop, bands: opts.bands, thresholds };
}
