/**
 * Bayesian search: a Gaussian process over the normalised space (each parameter mapped onto
 * [0, 1] by its CDF) with a Matérn 5/2 kernel whose length scale is picked by marginal
 * likelihood, and expected improvement maximised over seeded candidates: draws from the prior
 * plus perturbations of the best trials. Failed trials count as the worst seen (W&B's
 * `impute: worst`); running ones as the mean (a "constant liar"), so parallel suggestions
 * spread out.
 */
import type { SweepConfig } from "../config/types.ts";
import { ppf, toUnit } from "./distributions.ts";
import { createRng, normalCdf, normalPdf, normalPpf } from "./math.ts";
import { nestParams, paramValue, type TrialParams } from "./params.ts";
import type { TrialObservation } from "./search.ts";

/** Trials drawn at random before the model is trusted. */
const INITIAL_RANDOM = 4;
/** How many of a bayes sweep's first trials are random draws (known before any result). */
export const BAYES_INITIAL_RANDOM = INITIAL_RANDOM;
const CANDIDATES = 600;
const LENGTH_SCALES = [0.08, 0.15, 0.25, 0.4, 0.7, 1.2];
const NOISE = 1e-4;

function matern52(a: readonly number[], b: readonly number[], lengthScale: number): number {
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sq += d * d;
  }
  const r = Math.sqrt(5 * sq) / lengthScale;
  return (1 + r + (r * r) / 3) * Math.exp(-r);
}

/** Lower-triangular Cholesky factor of a symmetric positive-definite matrix (row-major). */
function cholesky(k: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = k[i * n + j] as number;
      for (let m = 0; m < j; m++) sum -= (l[i * n + m] as number) * (l[j * n + m] as number);
      if (i === j) {
        if (sum <= 0) return undefined;
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / (l[j * n + j] as number);
      }
    }
  }
  return l;
}

function solveLower(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i] as number;
    for (let m = 0; m < i; m++) sum -= (l[i * n + m] as number) * (x[m] as number);
    x[i] = sum / (l[i * n + i] as number);
  }
  return x;
}

function solveUpper(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = b[i] as number;
    for (let m = i + 1; m < n; m++) sum -= (l[m * n + i] as number) * (x[m] as number);
    x[i] = sum / (l[i * n + i] as number);
  }
  return x;
}

interface FittedGp {
  predict(x: readonly number[]): { mean: number; sd: number };
}

function fitGp(xs: readonly (readonly number[])[], ys: readonly number[]): FittedGp | undefined {
  const n = xs.length;
  let best: { logLik: number; gp: FittedGp } | undefined;
  for (const lengthScale of LENGTH_SCALES) {
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        k[i * n + j] =
          matern52(xs[i] as number[], xs[j] as number[], lengthScale) + (i === j ? NOISE : 0);
      }
    }
    const l = cholesky(k, n);
    if (!l) continue;
    const alpha = solveUpper(l, n, solveLower(l, n, ys));
    let logDet = 0;
    for (let i = 0; i < n; i++) logDet += Math.log(l[i * n + i] as number);
    const fit = ys.reduce((acc, y, i) => acc + y * (alpha[i] as number), 0);
    const logLik = -0.5 * fit - logDet;
    if (!best || logLik > best.logLik) {
      best = {
        logLik,
        gp: {
          predict(x) {
            const kStar = xs.map((xi) => matern52(xi, x, lengthScale));
            const mean = kStar.reduce((acc, kv, i) => acc + kv * (alpha[i] as number), 0);
            const v = solveLower(l, n, kStar);
            const variance = 1 + NOISE - v.reduce((acc, vi) => acc + vi * vi, 0);
            return { mean, sd: Math.sqrt(Math.max(variance, 1e-12)) };
          },
        },
      };
    }
  }
  return best?.gp;
}

function expectedImprovement(mean: number, sd: number, best: number): number {
  const improvement = best - mean;
  const z = improvement / sd;
  return improvement * normalCdf(z) + sd * normalPdf(z);
}

/**
 * Suggests trial `index` of a bayes sweep from the trials so far.
 * Deterministic in (config, trials, seed, index).
 */
export function suggestBayes(
  config: SweepConfig,
  trials: readonly TrialObservation[],
  opts: { seed: number; index: number },
): TrialParams {
  const params = config.parameters;
  const searchable = params.filter((p) => p.spec.distribution !== "constant");
  const random = createRng(opts.seed, opts.index);
  const fromUnits = (units: readonly number[]) => {
    let next = 0;
    return nestParams(
      params,
      params.map((p) =>
        p.spec.distribution === "constant" ? ppf(p.spec, 0) : ppf(p.spec, units[next++] ?? 0),
      ),
    );
  };
  const features = (t: TrialParams) => searchable.map((p) => toUnit(p.spec, paramValue(t, p)));

  const sign = config.metric?.goal === "maximize" ? -1 : 1;
  const scored = trials.filter(
    (t) => t.status !== "pending" && t.status !== "running" && t.metric !== undefined,
  );
  const drawRandom = () => fromUnits(searchable.map(() => random()));
  if (searchable.length === 0 || scored.length < INITIAL_RANDOM) return drawRandom();

  // Lower is better from here on.
  const known = scored.map((t) => sign * (t.metric as number)).filter(Number.isFinite);
  const worst = Math.max(...known);
  const mean = known.reduce((a, b) => a + b, 0) / known.length;
  const rows: { x: number[]; y: number }[] = [];
  for (const t of trials) {
    const x = features(t.params);
    if (t.status === "failed" && (t.metric === undefined || !Number.isFinite(t.metric)))
      rows.push({ x, y: worst });
    else if (t.status === "pending" || t.status === "running") rows.push({ x, y: mean });
    else if (t.metric !== undefined && Number.isFinite(t.metric))
      rows.push({ x, y: sign * t.metric });
  }
  const yMean = rows.reduce((a, r) => a + r.y, 0) / rows.length;
  const ySd = Math.sqrt(rows.reduce((a, r) => a + (r.y - yMean) ** 2, 0) / rows.length) || 1;
  const ys = rows.map((r) => (r.y - yMean) / ySd);
  const gp = fitGp(
    rows.map((r) => r.x),
    ys,
  );
  if (!gp) return drawRandom();
  const bestY = Math.min(...ys);
  const incumbents = rows
    .map((r, i) => ({ x: r.x, y: ys[i] as number }))
    .sort((a, b) => a.y - b.y)
    .slice(0, 3);

  let bestUnits: number[] = searchable.map(() => random());
  let bestEi = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < CANDIDATES; c++) {
    const around = c % 2 === 1 ? incumbents[(c >> 1) % incumbents.length] : undefined;
    const scale = 0.02 + 0.2 * random();
    const units = searchable.map((_, d) => {
      if (!around) return random();
      const u =
        (around.x[d] as number) + scale * normalPpf(Math.min(Math.max(random(), 1e-9), 1 - 1e-9));
      return Math.min(Math.max(u, 0), 1 - 1e-9);
    });
    // Score the point the parameters really take (quantised, categorical), not the raw draw.
    const { mean: mu, sd } = gp.predict(features(fromUnits(units)));
    const ei = expectedImprovement(mu, sd, bestY);
    if (ei > bestEi) {
      bestEi = ei;
      bestUnits = units;
    }
  }
  return fromUnits(bestUnits);
}
