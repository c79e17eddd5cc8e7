/**
 * Each W&B distribution as a quantile function (`ppf`: [0, 1) → value, as W&B samples) and
 * its inverse onto [0, 1] (`toUnit`, the normalised space bayes search models).
 * `log_uniform`/`q_log_uniform`/`inv_log_uniform` take natural-log bounds, the `_values`
 * variants take the values themselves, as in W&B.
 */
import type { ParameterSpec } from "../config/types.ts";
import { betaCdf, betaPpf, normalCdf, normalPpf, roundHalfEven } from "./math.ts";

const quantise = (x: number, q: number, qIsInt: boolean): number => {
  const v = roundHalfEven(x / q) * q;
  return qIsInt ? Math.trunc(v) : v;
};

const clampUnit = (u: number): number => Math.min(Math.max(u, 0), 1 - Number.EPSILON);
/** Keeps unbounded distributions finite at u = 0 (W&B would return -inf there). */
const openUnit = (u: number): number => Math.min(Math.max(u, 1e-16), 1 - Number.EPSILON);

/** The value at quantile `u` ∈ [0, 1). */
export function ppf(spec: ParameterSpec, uRaw: number): unknown {
  const u = clampUnit(uRaw);
  switch (spec.distribution) {
    case "constant":
      return spec.value;
    case "categorical":
      return spec.values[Math.floor(u * spec.values.length)];
    case "categorical_w_probabilities": {
      let acc = 0;
      for (let i = 0; i < spec.values.length; i++) {
        acc += spec.probabilities[i] ?? 0;
        if (u < acc) return spec.values[i];
      }
      return spec.values[spec.values.length - 1];
    }
    case "int_uniform":
      return spec.min + Math.floor(u * (spec.max - spec.min + 1));
    case "uniform":
      return spec.min + u * (spec.max - spec.min);
    case "q_uniform":
      return quantise(spec.min + u * (spec.max - spec.min), spec.q, spec.qIsInt);
    case "log_uniform":
      return Math.exp(spec.min + u * (spec.max - spec.min));
    case "log_uniform_values": {
      const lo = Math.log(spec.min);
      return Math.exp(lo + u * (Math.log(spec.max) - lo));
    }
    case "q_log_uniform":
      return quantise(Math.exp(spec.min + u * (spec.max - spec.min)), spec.q, spec.qIsInt);
    case "q_log_uniform_values": {
      const lo = Math.log(spec.min);
      return quantise(Math.exp(lo + u * (Math.log(spec.max) - lo)), spec.q, spec.qIsInt);
    }
    case "inv_log_uniform":
      return Math.exp(-(spec.min + (1 - u) * (spec.max - spec.min)));
    case "inv_log_uniform_values": {
      const lo = -Math.log(spec.max);
      const hi = -Math.log(spec.min);
      return Math.exp(-(lo + (1 - u) * (hi - lo)));
    }
    case "normal":
      return spec.mu + spec.sigma * normalPpf(openUnit(u));
    case "q_normal":
      return quantise(spec.mu + spec.sigma * normalPpf(openUnit(u)), spec.q, spec.qIsInt);
    case "log_normal":
      return Math.exp(spec.mu + spec.sigma * normalPpf(openUnit(u)));
    case "q_log_normal":
      return quantise(Math.exp(spec.mu + spec.sigma * normalPpf(openUnit(u))), spec.q, spec.qIsInt);
    case "beta":
      return betaPpf(u, spec.a, spec.b);
    case "q_beta":
      return quantise(betaPpf(u, spec.a, spec.b), spec.q, spec.qIsInt);
  }
}

const sameValue = (a: unknown, b: unknown): boolean =>
  a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * Where `value` lies in [0, 1]: the CDF for continuous distributions, the bin centre for
 * categorical and integer ones. Constants map to 0.
 */
export function toUnit(spec: ParameterSpec, value: unknown): number {
  const x = typeof value === "number" ? value : Number.NaN;
  const unit = (v: number, lo: number, hi: number) =>
    Math.min(Math.max((v - lo) / (hi - lo), 0), 1);
  switch (spec.distribution) {
    case "constant":
      return 0;
    case "categorical":
    case "categorical_w_probabilities": {
      const index = Math.max(
        spec.values.findIndex((v) => sameValue(v, value)),
        0,
      );
      return (index + 0.5) / spec.values.length;
    }
    case "int_uniform":
      return (x - spec.min + 0.5) / (spec.max - spec.min + 1);
    case "uniform":
    case "q_uniform":
      return unit(x, spec.min, spec.max);
    case "log_uniform":
    case "q_log_uniform":
      return unit(Math.log(x), spec.min, spec.max);
    case "log_uniform_values":
    case "q_log_uniform_values":
      return unit(Math.log(x), Math.log(spec.min), Math.log(spec.max));
    case "inv_log_uniform":
      return unit(Math.log(x), -spec.max, -spec.min);
    case "inv_log_uniform_values":
      return unit(Math.log(x), Math.log(spec.min), Math.log(spec.max));
    case "normal":
    case "q_normal":
      return normalCdf((x - spec.mu) / (spec.sigma || 1));
    case "log_normal":
    case "q_log_normal":
      return x > 0 ? normalCdf((Math.log(x) - spec.mu) / (spec.sigma || 1)) : 0;
    case "beta":
    case "q_beta":
      return betaCdf(x, spec.a, spec.b);
  }
}

/** Python's `np.arange(start, stop, step)`: `ceil((stop - start) / step)` values `start + i·step`. */
function arange(start: number, stop: number, step: number): number[] {
  const n = Math.max(Math.ceil((stop - start) / step), 0);
  return Array.from({ length: n }, (_, i) => start + i * step);
}

/** The values grid search enumerates for a parameter, in W&B's order. */
export function gridValues(spec: ParameterSpec): readonly unknown[] {
  switch (spec.distribution) {
    case "constant":
      return [spec.value];
    case "categorical":
      return spec.values;
    case "int_uniform":
      return arange(spec.min, spec.max + 1, 1);
    case "q_uniform":
      return arange(spec.min, spec.max, spec.q);
    default:
      throw new Error(`grid search cannot enumerate a ${spec.distribution} parameter`);
  }
}
