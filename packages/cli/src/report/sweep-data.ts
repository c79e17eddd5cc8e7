/**
 * A sweep directory (`sweep.json` and `trials/<id>/` run directories) read into one plain record:
 * the trials ranked by the metric, their parameters flattened to dotted keys, and each trial's
 * metric curve (the history rows that carry the metric, which is what hyperband counts).
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { isTable } from "@tipi/core";
import { asNumber, asString, type Notes, readJsonlFrom, readJsonObject } from "./read-files.ts";
import { toHistoryPoint } from "./run-data.ts";

export interface SweepParamInfo {
  readonly key: string;
  /** The sweep config's distribution (`log_uniform_values`, `categorical`, …) when known. */
  readonly distribution?: string;
  /** Whether every trial has a number here (else the axis is categorical). */
  readonly numeric: boolean;
  /** Whether the values span a log scale (a `log_*` or `*_log_*` distribution). */
  readonly log: boolean;
}

export interface SweepTrial {
  readonly id: string;
  readonly status: string;
  readonly metric?: number;
  /** 1-based rank by the metric among trials that have one. */
  readonly rank?: number;
  readonly params: Readonly<Record<string, unknown>>;
  readonly iterations: number;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly reason?: string;
  /** The metric's values, one per history row that carried it. */
  readonly curve: readonly number[];
  /** Whether `trials/<id>/` exists (the dashboard links it). */
  readonly hasRunDir: boolean;
}

export interface SweepData {
  readonly kind: "sweep";
  readonly dir: string;
  readonly title: string;
  readonly pipeline?: string;
  readonly method?: string;
  readonly status: string;
  readonly metric?: { readonly name: string; readonly goal: "minimize" | "maximize" };
  readonly createdAt?: string;
  readonly updatedAt?: string;
  /** The searched parameters (constants left out unless nothing else is searched). */
  readonly params: readonly SweepParamInfo[];
  /** Constant parameters and their value. */
  readonly constants: Readonly<Record<string, unknown>>;
  /** Ranked: best first, then trials without a metric in id order. */
  readonly trials: readonly SweepTrial[];
  readonly hyperband?: Readonly<Record<string, unknown>>;
  readonly notes: readonly string[];
}

/** Whether `dir` looks like a sweep directory. */
export function looksLikeSweep(dir: string): boolean {
  return existsSync(join(dir, "sweep.json"));
}

/** `{ a: { b: 1 } }` and `{ "a.b": 1 }` both become `{ "a.b": 1 }`. */
function flattenParams(params: unknown, prefix = ""): Record<string, unknown> {
  if (!isTable(params)) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isTable(value)) Object.assign(out, flattenParams(value, path));
    else out[path] = value;
  }
  return out;
}

/** The distribution of each parameter in a W&B sweep config, by dotted key. */
function distributions(config: unknown, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isTable(config)) return out;
  for (const [key, spec] of Object.entries(config)) {
    if (!isTable(spec)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (isTable(spec.parameters)) Object.assign(out, distributions(spec.parameters, path));
    else
      out[path] =
        asString(spec.distribution) ??
        ("value" in spec ? "constant" : "values" in spec ? "categorical" : "uniform");
  }
  return out;
}

/** Reads a sweep directory; never throws for what the directory holds. */
export function readSweepData(dir: string): SweepData {
  const notes: Notes = [];
  const state = readJsonObject(join(dir, "sweep.json"), "sweep.json", notes) ?? {};
  const config = isTable(state.config) ? state.config : {};
  const metricRecord = isTable(state.metric)
    ? state.metric
    : isTable(config.metric)
      ? config.metric
      : undefined;
  const metricName = asString(metricRecord?.name);
  const metric = metricName
    ? {
        name: metricName,
        goal: metricRecord?.goal === "maximize" ? ("maximize" as const) : ("minimize" as const),
      }
    : undefined;
  if (!metric) notes.push("the sweep has no metric: trials are not ranked");

  const records = Array.isArray(state.trials) ? state.trials.filter(isTable) : [];
  const recorded = new Set(records.map((t) => asString(t.id)));
  // Trial directories that sweep.json does not list (it was lost or is from a crashed start).
  for (const id of listTrialDirs(dir))
    if (!recorded.has(id)) {
      notes.push(`trials/${id} is not in sweep.json (shown without parameters)`);
      records.push({ id, status: "unknown", params: {}, iterations: 0 });
    }
  if (records.length === 0) notes.push("the sweep has no trials yet");

  const trials = records.map((record) => readTrial(dir, record, metric?.name, notes));
  const sign = metric?.goal === "maximize" ? -1 : 1;
  const ranked = trials
    .filter((t) => t.metric !== undefined)
    .sort(
      (a, b) => sign * ((a.metric as number) - (b.metric as number)) || a.id.localeCompare(b.id),
    );
  const rest = trials
    .filter((t) => t.metric === undefined)
    .sort((a, b) => a.id.localeCompare(b.id));
  const dists = distributions(config.parameters);
  const keys = [
    ...new Set([...Object.keys(dists), ...trials.flatMap((t) => Object.keys(t.params))]),
  ];
  const constants: Record<string, unknown> = {};
  const params: SweepParamInfo[] = [];
  for (const key of keys) {
    const values = trials.map((t) => t.params[key]).filter((v) => v !== undefined);
    const distinct = new Set(values.map((v) => JSON.stringify(v)));
    if (dists[key] === "constant" || (distinct.size <= 1 && dists[key] === undefined)) {
      constants[key] = values[0];
      continue;
    }
    const distribution = dists[key];
    params.push({
      key,
      ...(distribution ? { distribution } : {}),
      numeric:
        distribution !== "categorical" &&
        values.length > 0 &&
        values.every((v) => typeof v === "number"),
      log:
        distribution !== undefined &&
        /log/.test(distribution) &&
        values.every((v) => typeof v === "number" && v > 0),
    });
  }
  const name = asString(config.name) ?? basename(dir);
  return {
    kind: "sweep",
    dir,
    title: `sweep ${name}`,
    ...(asString(state.pipeline) ? { pipeline: asString(state.pipeline) } : {}),
    ...(asString(state.method) ? { method: asString(state.method) } : {}),
    status: asString(state.status) ?? "unknown",
    ...(metric ? { metric } : {}),
    ...(asString(state.createdAt) ? { createdAt: asString(state.createdAt) } : {}),
    ...(asString(state.updatedAt) ? { updatedAt: asString(state.updatedAt) } : {}),
    params,
    constants,
    trials: [...ranked.map((t, i) => ({ ...t, rank: i + 1 })), ...rest],
    ...(isTable(config.early_terminate) ? { hyperband: config.early_terminate } : {}),
    notes,
  };
}

function listTrialDirs(dir: string): string[] {
  try {
    return readdirSync(join(dir, "trials"), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.includes(".attempt-"))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

function readTrial(
  sweepDir: string,
  record: Record<string, unknown>,
  metricName: string | undefined,
  notes: Notes,
): SweepTrial {
  const id = asString(record.id) ?? "?";
  const runDir = join(sweepDir, "trials", id);
  const hasRunDir = existsSync(runDir);
  const trialNotes: Notes = [];
  const history = readJsonlFrom(
    join(runDir, "history.jsonl"),
    `trials/${id}/history.jsonl`,
    trialNotes,
  ).records.map(toHistoryPoint);
  notes.push(...trialNotes.filter((note) => !note.includes("half-written")));
  const curve = metricName
    ? history.flatMap((p) =>
        p.values[metricName] === undefined ? [] : [p.values[metricName] as number],
      )
    : [];
  const metric = asNumber(record.metric) ?? curve.at(-1);
  return {
    id,
    status: asString(record.status) ?? "unknown",
    ...(metric === undefined ? {} : { metric }),
    params: flattenParams(record.params),
    iterations: asNumber(record.iterations) ?? curve.length,
    ...(asString(record.startedAt) ? { startedAt: asString(record.startedAt) } : {}),
    ...(asString(record.endedAt) ? { endedAt: asString(record.endedAt) } : {}),
    ...(asString(record.reason) ? { reason: asString(record.reason) } : {}),
    curve,
    hasRunDir,
  };
}
