/**
 * Validates a W&B sweep config and fills in W&B's defaults, inferring each parameter's
 * distribution the way W&B's schema does (the first of its parameter schemas that matches).
 */
import { isTable } from "@tipi/core";
import { nearest } from "@tipi/core/did-you-mean";
import { match } from "ts-pattern";
import { hyperbandBands } from "../search/hyperband.ts";
import { pathKey, type SourcePath } from "../source/parsed-source.ts";
import { SweepConfigError, type SweepConfigIssue } from "./errors.ts";
import type {
  HyperbandConfig,
  ParameterSpec,
  SweepConfig,
  SweepMethod,
  SweepMetric,
  SweepParameter,
} from "./types.ts";

/** What a parsed file knows beyond plain values (see `ParsedSource`). */
export interface ParseContext {
  readonly file?: string;
  readonly floats?: ReadonlySet<string>;
  readonly lines?: ReadonlyMap<string, number>;
}

const TOP_LEVEL_KEYS = new Set([
  "apiVersion",
  "kind",
  "controller",
  "description",
  "program",
  "job",
  "image_uri",
  "entity",
  "project",
  "method",
  "command",
  "name",
  "run_cap",
  "metric",
  "metrics",
  "scheduler",
  "early_terminate",
  "parameters",
]);

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const NUMERIC_STRING = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Keys each explicit distribution allows besides `distribution` (W&B: additionalProperties false). */
const DISTRIBUTION_KEYS: Record<string, readonly string[]> = {
  constant: ["value"],
  categorical: ["values"],
  categorical_w_probabilities: ["values", "probabilities"],
  int_uniform: ["min", "max"],
  uniform: ["min", "max"],
  log_uniform: ["min", "max"],
  log_uniform_values: ["min", "max"],
  inv_log_uniform: ["min", "max"],
  inv_log_uniform_values: ["min", "max"],
  q_uniform: ["min", "max", "q"],
  q_log_uniform: ["min", "max", "q"],
  q_log_uniform_values: ["min", "max", "q"],
  normal: ["mu", "sigma"],
  log_normal: ["mu", "sigma"],
  q_normal: ["mu", "sigma", "q"],
  q_log_normal: ["mu", "sigma", "q"],
  beta: ["a", "b"],
  q_beta: ["a", "b", "q"],
};

class Collector {
  readonly issues: SweepConfigIssue[] = [];
  constructor(readonly ctx: ParseContext) {}

  /** The line of `path`, or of its nearest ancestor the file recorded. */
  line(path: SourcePath): number | undefined {
    for (let end = path.length; end > 0; end--) {
      const line = this.ctx.lines?.get(pathKey(path.slice(0, end)));
      if (line !== undefined) return line;
    }
    return undefined;
  }

  add(path: SourcePath, message: string, hint?: string): undefined {
    const line = this.line(path);
    this.issues.push({
      path,
      message,
      ...(line === undefined ? {} : { line }),
      ...(hint ? { hint } : {}),
    });
    return undefined;
  }

  isFloat(path: SourcePath, value: number): boolean {
    return !Number.isInteger(value) || (this.ctx.floats?.has(pathKey(path)) ?? false);
  }

  /**
   * A number field. A numeric-looking string is accepted too: PyYAML reads `1e-3` as a string,
   * but the wandb CLI re-dumps the config unquoted and W&B's server reads it back as a number.
   */
  number(obj: Record<string, unknown>, key: string, path: SourcePath): number | undefined {
    const value = obj[key];
    if (typeof value === "number" && !Number.isNaN(value)) return value;
    if (typeof value === "string" && NUMERIC_STRING.test(value.trim())) return Number(value.trim());
    return this.add([...path, key], `must be a number, got ${JSON.stringify(value)}`);
  }
}

/** One parameter's spec: its distribution (given or inferred as W&B does), keys, and values. */
function parseSpec(
  c: Collector,
  raw: Record<string, unknown>,
  path: SourcePath,
): ParameterSpec | undefined {
  const distribution = inferDistribution(c, raw, path);
  if (distribution === undefined) return undefined;
  checkAllowedKeys(c, raw, path, distribution);
  return parseDistribution(c, raw, path, distribution);
}

/**
 * The spec's distribution: the one it names (`categorical` with `probabilities` is
 * `categorical_w_probabilities`), else inferred from its keys, in W&B's order: values,
 * value, min/max (integers: `int_uniform`).
 */
function inferDistribution(
  c: Collector,
  raw: Record<string, unknown>,
  path: SourcePath,
): string | undefined {
  const explicit = raw.distribution;
  if (explicit !== undefined) {
    if (typeof explicit !== "string" || !(explicit in DISTRIBUTION_KEYS)) {
      return c.add(
        [...path, "distribution"],
        `unknown distribution ${JSON.stringify(explicit)}`,
        `one of ${Object.keys(DISTRIBUTION_KEYS).join(", ")}`,
      );
    }
    return explicit === "categorical" && "probabilities" in raw
      ? "categorical_w_probabilities"
      : explicit;
  }
  if ("values" in raw)
    return "probabilities" in raw ? "categorical_w_probabilities" : "categorical";
  if ("value" in raw) return "constant";
  if ("min" in raw && "max" in raw) {
    const min = raw.min;
    const max = raw.max;
    const ints =
      typeof min === "number" &&
      typeof max === "number" &&
      !c.isFloat([...path, "min"], min) &&
      !c.isFloat([...path, "max"], max);
    return ints ? "int_uniform" : "uniform";
  }
  if (Object.keys(raw).some((key) => ["mu", "sigma", "a", "b", "q"].includes(key))) {
    return c.add(
      path,
      "needs a `distribution` for these keys",
      "W&B infers only categorical, constant, int_uniform and uniform",
    );
  }
  // `valus: [...]`, `distrbution: …`: name the key that was meant
  const known = ["values", "value", "min", "max", "distribution", "parameters", "probabilities"];
  for (const key of Object.keys(raw)) {
    const meant = nearest(key, known);
    if (meant !== undefined && meant !== key)
      return c.add([...path, key], `is not a parameter key`, `did you mean "${meant}"?`);
  }
  return c.add(
    path,
    "is not a parameter: needs value, values, min/max, a distribution, or nested `parameters`",
  );
}

/** Reports each key the distribution does not take (W&B: additionalProperties false). */
function checkAllowedKeys(
  c: Collector,
  raw: Record<string, unknown>,
  path: SourcePath,
  distribution: string,
): void {
  const allowed = DISTRIBUTION_KEYS[distribution] ?? [];
  for (const key of Object.keys(raw)) {
    if (key !== "distribution" && !allowed.includes(key)) {
      c.add(
        [...path, key],
        `is not allowed for distribution ${distribution}`,
        `allowed: ${allowed.join(", ")}`,
      );
    }
  }
}

/** Reads and checks the values `distribution` needs; each problem becomes an issue. */
function parseDistribution(
  c: Collector,
  raw: Record<string, unknown>,
  path: SourcePath,
  distribution: string,
): ParameterSpec | undefined {
  const { num, quantum, bounds } = specFields(c, raw, path, distribution);
  return match<string, ParameterSpec | undefined>(distribution)
    .with("constant", (d) => ({ distribution: d, value: raw.value }))
    .with("categorical", "categorical_w_probabilities", (d) => parseCategorical(c, raw, path, d))
    .with("int_uniform", (d) => {
      const b = bounds(false);
      if (!b) return undefined;
      if (c.isFloat([...path, "min"], b.min) || c.isFloat([...path, "max"], b.max)) {
        return c.add(
          path,
          "int_uniform needs integer min and max",
          "write them without a decimal point",
        );
      }
      return { distribution: d, ...b };
    })
    .with("uniform", "log_uniform", "inv_log_uniform", (d) => {
      const b = bounds(false);
      return b && { distribution: d, ...b };
    })
    .with("log_uniform_values", "inv_log_uniform_values", (d) => {
      const b = bounds(true);
      return b && { distribution: d, ...b };
    })
    .with("q_uniform", "q_log_uniform", "q_log_uniform_values", (d) => {
      const b = bounds(d === "q_log_uniform_values");
      const q = quantum();
      return b && q && { distribution: d, ...b, ...q };
    })
    .with("normal", "log_normal", "q_normal", "q_log_normal", (d) => {
      const mu = num("mu", 0);
      const sigma = num("sigma", 1);
      if (mu === undefined || sigma === undefined) return undefined;
      if (sigma < 0) return c.add([...path, "sigma"], `must be ≥ 0, got ${sigma}`);
      if (d === "normal" || d === "log_normal") return { distribution: d, mu, sigma };
      const q = quantum();
      return q && { distribution: d, mu, sigma, ...q };
    })
    .with("beta", "q_beta", (d) => {
      const a = num("a", 1);
      const b = num("b", 1);
      if (a === undefined || b === undefined) return undefined;
      if (a < 0) return c.add([...path, "a"], `must be ≥ 0, got ${a}`);
      if (b < 0) return c.add([...path, "b"], `must be ≥ 0, got ${b}`);
      if (d === "beta") return { distribution: d, a, b };
      const q = quantum();
      return q && { distribution: d, a, b, ...q };
    })
    .otherwise((d) => c.add(path, `unsupported distribution ${d}`));
}

/** `categorical`: a non-empty `values` list; `_w_probabilities`: one probability each, sum 1. */
function parseCategorical(
  c: Collector,
  raw: Record<string, unknown>,
  path: SourcePath,
  distribution: "categorical" | "categorical_w_probabilities",
): ParameterSpec | undefined {
  const values = raw.values;
  if (!Array.isArray(values) || values.length === 0) {
    return c.add([...path, "values"], "must be a non-empty list");
  }
  if (distribution === "categorical") return { distribution, values };
  const probabilities = raw.probabilities;
  if (
    !Array.isArray(probabilities) ||
    !probabilities.every((p) => typeof p === "number" && p >= 0)
  ) {
    return c.add([...path, "probabilities"], "must be a list of numbers ≥ 0");
  }
  if (probabilities.length !== values.length) {
    return c.add(
      [...path, "probabilities"],
      `has ${probabilities.length} entries for ${values.length} values`,
    );
  }
  const sum = probabilities.reduce((a: number, p: number) => a + p, 0);
  if (Math.abs(sum - 1) > 1e-6)
    return c.add([...path, "probabilities"], `must sum to 1, sum is ${sum}`);
  return { distribution, values, probabilities };
}

/**
 * Readers of a spec's numeric fields: `num` (a fallback when the key is absent), `quantum`
 * (`q`, default 1, > 0) and `bounds` (`min` < `max`; `positive`: `min` > 0).
 */
function specFields(
  c: Collector,
  raw: Record<string, unknown>,
  path: SourcePath,
  distribution: string,
) {
  const num = (key: string, fallback?: number) =>
    key in raw || fallback === undefined ? c.number(raw, key, path) : fallback;
  const quantum = () => {
    const q = num("q", 1);
    if (q === undefined) return undefined;
    if (q <= 0) return c.add([...path, "q"], `must be > 0, got ${q}`);
    return { q, qIsInt: !("q" in raw) || !c.isFloat([...path, "q"], q) };
  };
  const bounds = (positive: boolean) => {
    const min = num("min");
    const max = num("max");
    if (min === undefined || max === undefined) return undefined;
    if (positive && min <= 0)
      return c.add([...path, "min"], `must be > 0 for ${distribution}, got ${min}`);
    if (min >= max) return c.add([...path, "min"], `min ${min} is not less than max ${max}`);
    return { min, max };
  };
  return { num, quantum, bounds };
}

function parseParameters(
  c: Collector,
  raw: unknown,
  path: SourcePath,
  prefix: readonly string[],
  out: SweepParameter[],
): void {
  if (!isTable(raw) || Object.keys(raw).length === 0) {
    c.add(path, "must be a mapping of parameter names to specs with at least one entry");
    return;
  }
  // W&B walks keys in sorted order at every level; grid order and the run config follow it.
  for (const name of Object.keys(raw).sort()) {
    const specPath = [...path, name];
    if (!PARAM_NAME.test(name)) {
      c.add(
        specPath,
        `invalid parameter name ${JSON.stringify(name)}`,
        "letters, digits, _ . -; not starting with a digit",
      );
      continue;
    }
    const spec = raw[name];
    if (!isTable(spec)) {
      c.add(specPath, "must be a mapping such as { value: 1 } or { values: [1, 2] }");
      continue;
    }
    const fullPath = [...prefix, name];
    if ("parameters" in spec && Object.keys(spec).length === 1) {
      parseParameters(c, spec.parameters, [...specPath, "parameters"], fullPath, out);
      continue;
    }
    const parsed = parseSpec(c, spec, specPath);
    const line = c.line(specPath);
    if (parsed)
      out.push({
        path: fullPath,
        key: fullPath.join("."),
        spec: parsed,
        ...(line === undefined ? {} : { line }),
      });
  }
}

function parseMetric(c: Collector, raw: unknown): SweepMetric | undefined {
  if (!isTable(raw)) return c.add(["metric"], "must be a mapping { name, goal }");
  const name = raw.name;
  if (typeof name !== "string" || name === "")
    return c.add(["metric", "name"], "must be a non-empty string");
  const goal = raw.goal ?? "minimize";
  if (goal !== "minimize" && goal !== "maximize") {
    return c.add(["metric", "goal"], `must be minimize or maximize, got ${JSON.stringify(goal)}`);
  }
  for (const key of Object.keys(raw)) {
    if (!["name", "goal", "target", "impute", "impute_while_running"].includes(key)) {
      c.add(["metric", key], "is not a metric key", "name, goal, target");
    }
  }
  const target = raw.target === undefined ? undefined : c.number(raw, "target", ["metric"]);
  return { name, goal, ...(target === undefined ? {} : { target }) };
}

function parseHyperband(c: Collector, raw: unknown): HyperbandConfig | undefined {
  const path = ["early_terminate"];
  if (!isTable(raw)) return c.add(path, "must be a mapping { type: hyperband, … }");
  if (raw.type !== "hyperband") {
    return c.add(
      [...path, "type"],
      `unsupported early_terminate type ${JSON.stringify(raw.type)}`,
      "only hyperband",
    );
  }
  for (const key of Object.keys(raw)) {
    if (!["type", "max_iter", "min_iter", "s", "eta", "strict"].includes(key)) {
      c.add([...path, key], "is not a hyperband key", "max_iter + s, or min_iter; eta; strict");
    }
  }
  const eta = raw.eta === undefined ? 3 : c.number(raw, "eta", path);
  if (eta === undefined) return undefined;
  if (eta <= 1) return c.add([...path, "eta"], `must be > 1, got ${eta}`);
  const strict = raw.strict ?? true;
  if (typeof strict !== "boolean") return c.add([...path, "strict"], "must be true or false");
  let maxIter: number | undefined;
  let s: number | undefined;
  let minIter: number | undefined;
  if (raw.max_iter !== undefined) {
    maxIter = c.number(raw, "max_iter", path);
    s =
      raw.s === undefined
        ? c.add(path, "max_iter needs s (the number of bands)")
        : c.number(raw, "s", path);
    if (maxIter === undefined || s === undefined) return undefined;
  } else if (raw.min_iter !== undefined) {
    minIter = c.number(raw, "min_iter", path);
    if (minIter === undefined) return undefined;
    if (minIter < 1) return c.add([...path, "min_iter"], `must be ≥ 1, got ${minIter}`);
  } else {
    return c.add(path, "hyperband needs max_iter (with s) or min_iter");
  }
  const bands = hyperbandBands({ eta, maxIter, s, minIter });
  if (bands.length === 0) {
    return c.add(path, "gives no bands", "increase s or max_iter, decrease eta");
  }
  return {
    type: "hyperband",
    eta,
    strict,
    bands,
    ...(maxIter === undefined ? {} : { maxIter }),
    ...(s === undefined ? {} : { s }),
    ...(minIter === undefined ? {} : { minIter }),
  };
}

/**
 * Validates a sweep config object (as parsed from YAML or TOML) and fills in W&B's defaults.
 * @throws SweepConfigError listing every problem with its key path and line.
 */
export function parseSweepConfig(raw: unknown, ctx: ParseContext = {}): SweepConfig {
  const c = new Collector(ctx);
  if (!isTable(raw))
    throw new SweepConfigError(
      [{ path: [], message: "a sweep config must be a mapping" }],
      ctx.file,
    );

  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL_KEYS.has(key))
      c.add([key], "is not a sweep config key", "W&B rejects unknown top-level keys");
  }
  const method = raw.method;
  if (method === undefined) c.add([], "needs `method`", "grid, random or bayes");
  else if (method !== "grid" && method !== "random" && method !== "bayes") {
    c.add(["method"], `unsupported method ${JSON.stringify(method)}`, "grid, random or bayes");
  }
  const metric = raw.metric === undefined ? undefined : parseMetric(c, raw.metric);
  const parameters: SweepParameter[] = [];
  if (raw.parameters === undefined) c.add([], "needs `parameters`");
  else parseParameters(c, raw.parameters, ["parameters"], [], parameters);
  const earlyTerminate =
    raw.early_terminate === undefined ? undefined : parseHyperband(c, raw.early_terminate);
  if (earlyTerminate && !metric)
    c.add(["early_terminate"], "hyperband needs a `metric` to compare trials");
  if (method === "bayes" && raw.metric === undefined)
    c.add([], "bayes needs a `metric` to optimise");

  let runCap: number | undefined;
  if (raw.run_cap !== undefined) {
    const cap = raw.run_cap;
    if (typeof cap !== "number" || !Number.isInteger(cap) || cap <= 0)
      c.add(["run_cap"], "must be an integer > 0");
    else runCap = cap;
  }
  if (raw.command !== undefined && !Array.isArray(raw.command))
    c.add(["command"], "must be a list");
  for (const key of ["name", "description", "program"] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== "string") c.add([key], "must be a string");
  }
  if (method === "grid") {
    for (const p of parameters) {
      const d = p.spec.distribution;
      if (!["constant", "categorical", "int_uniform", "q_uniform"].includes(d)) {
        const where = [
          "parameters",
          ...p.path.flatMap((seg, i) => (i === 0 ? [seg] : ["parameters", seg])),
        ];
        c.add(
          where,
          `grid search cannot enumerate a ${d} parameter`,
          "grid needs categorical, constant, int_uniform or q_uniform (no probabilities)",
        );
      }
    }
  }
  if (c.issues.length > 0) throw new SweepConfigError(c.issues, ctx.file);

  const str = (key: string) => (typeof raw[key] === "string" ? { [key]: raw[key] as string } : {});
  return {
    method: method as SweepMethod,
    parameters,
    raw,
    ...(metric ? { metric } : {}),
    ...(earlyTerminate ? { earlyTerminate } : {}),
    ...(runCap === undefined ? {} : { runCap }),
    ...str("name"),
    ...str("description"),
    ...str("program"),
    ...(Array.isArray(raw.command) ? { command: raw.command } : {}),
    ...(ctx.file ? { file: ctx.file } : {}),
  };
}
