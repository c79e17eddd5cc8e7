/**
 * Everything a run directory tells, read tolerantly into one plain (JSON-serialisable) record:
 * the report and the dashboard render it, and missing or torn files become `notes`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { isTable } from "@tipi/core";
import { isProcessAlive } from "@tipi/wandb";
import { findCommand } from "../cli/definitions.ts";
import { parseArgs } from "../cli/parse-args.ts";
import { resolveOverrideKey } from "../config/overrides.ts";
import {
  asNumber,
  asString,
  fileInfo,
  type Notes,
  readJsonlFrom,
  readJsonObject,
} from "./read-files.ts";

/** One row of `history.jsonl`. */
export interface HistoryPoint {
  /** 0-based position in the file (`_index`). */
  readonly index: number;
  readonly step?: number;
  readonly epoch?: number;
  /** Milliseconds since the epoch. */
  readonly time?: number;
  readonly values: Readonly<Record<string, number>>;
}

export interface ConfusionFigure {
  readonly kind: "confusion-matrix";
  readonly name: string;
  readonly labels: readonly string[];
  /** `matrix[actual][predicted]`. */
  readonly matrix: readonly (readonly number[])[];
}

export interface TableFigure {
  readonly kind: "table";
  readonly name: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

export type ReportFigure = ConfusionFigure | TableFigure;

/** A config key the command line set: where it landed and how it was written. */
export interface ConfigOverride {
  readonly path: string;
  readonly source: string;
}

export interface StepTiming {
  readonly name: string;
  readonly durationMs?: number;
  readonly state: "finished" | "skipped" | "failed" | "running";
  readonly error?: string;
}

export interface CheckpointFile {
  readonly file: string;
  readonly bytes: number;
  readonly mtime: string;
  readonly step?: number;
}

export interface SyncInfo {
  readonly project?: string;
  readonly entity?: string;
  readonly runId?: string;
  readonly mode?: string;
  readonly upserted?: boolean;
  readonly rowsAcknowledged: number;
  readonly complete: boolean;
  readonly lastError?: string;
  readonly updatedAt?: string;
}

export interface RunData {
  readonly kind: "run";
  readonly dir: string;
  readonly title: string;
  readonly pipeline?: string;
  readonly runId?: string;
  /** `finished`, `failed`, `interrupted`, `running`, or `unknown` without `status.json`. */
  readonly status: string;
  readonly createdAt?: string;
  readonly updatedAt?: string;
  readonly durationMs?: number;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly config?: Readonly<Record<string, unknown>>;
  readonly overrides: readonly ConfigOverride[];
  readonly configFiles: readonly string[];
  /** Numeric summary values (from `summary.json`, else the last history values). */
  readonly summary: Readonly<Record<string, number>>;
  readonly history: readonly HistoryPoint[];
  /** Byte offset of the end of the last complete `history.jsonl` line (where to follow on). */
  readonly historyBytes: number;
  readonly steps: readonly StepTiming[];
  readonly error?: string;
  readonly figures: readonly ReportFigure[];
  /** PNGs under `media/` that have no JSON beside them, as data: URLs. */
  readonly images: readonly { readonly name: string; readonly src: string }[];
  readonly checkpoints: readonly CheckpointFile[];
  readonly model: readonly { readonly file: string; readonly bytes: number }[];
  readonly sync?: SyncInfo;
  /** What is missing or odd, in words. */
  readonly notes: readonly string[];
}

/** The files whose presence makes a directory a run directory. */
export const RUN_MARKERS = [
  "meta.json",
  "status.json",
  "history.jsonl",
  "summary.json",
  "config.json",
  "events.jsonl",
  "checkpoints",
] as const;

/** Whether `dir` looks like a run directory (or is an empty one). */
export function looksLikeRun(dir: string): boolean {
  return RUN_MARKERS.some((name) => existsSync(join(dir, name)));
}

/** A history line in the current format (`{ _index, step, epoch, time, values }`) or an older flat one. */
export function toHistoryPoint(record: Record<string, unknown>, position: number): HistoryPoint {
  const reserved = new Set(["_index", "_step", "_timestamp", "_runtime", "step", "epoch", "time"]);
  const source = isTable(record.values)
    ? record.values
    : Object.fromEntries(Object.entries(record).filter(([key]) => !reserved.has(key)));
  const values: Record<string, number> = {};
  for (const [key, value] of Object.entries(source)) {
    if (typeof value === "number" && Number.isFinite(value)) values[key] = value;
  }
  const step = asNumber(record.step) ?? asNumber(record._step);
  const epoch = asNumber(record.epoch);
  const time =
    asNumber(record.time) ??
    (asNumber(record._timestamp) === undefined ? undefined : (record._timestamp as number) * 1000);
  return {
    index: asNumber(record._index) ?? position,
    ...(step === undefined ? {} : { step }),
    ...(epoch === undefined ? {} : { epoch }),
    ...(time === undefined ? {} : { time }),
    values,
  };
}

/** A run's status, duration and summary numbers only (a list of many runs reads no histories). */
export function readRunOverview(dir: string): Pick<RunData, "status" | "durationMs" | "summary"> {
  const notes: Notes = [];
  const meta = readJsonObject(join(dir, "meta.json"), "meta.json", notes) ?? {};
  const status = readJsonObject(join(dir, "status.json"), "status.json", notes);
  const createdAt = asString(meta.createdAt);
  const updatedAt = asString(status?.updatedAt);
  const durationMs =
    createdAt && updatedAt ? Date.parse(updatedAt) - Date.parse(createdAt) : undefined;
  return {
    status: asString(status?.status) ?? "unknown",
    ...(durationMs !== undefined && Number.isFinite(durationMs) ? { durationMs } : {}),
    summary: numericValues(readJsonObject(join(dir, "summary.json"), "summary.json", notes) ?? {}),
  };
}

/** Reads a run directory; never throws for what the directory holds. */
export function readRunData(dir: string): RunData {
  const notes: Notes = [];
  const meta = readJsonObject(join(dir, "meta.json"), "meta.json", notes) ?? {};
  const statusRecord = readJsonObject(join(dir, "status.json"), "status.json", notes);
  const config = readJsonObject(join(dir, "config.json"), "config.json", notes);
  const summaryRecord = readJsonObject(join(dir, "summary.json"), "summary.json", notes);
  const historyRead = readJsonlFrom(join(dir, "history.jsonl"), "history.jsonl", notes);
  if (!existsSync(join(dir, "history.jsonl"))) notes.push("history.jsonl is missing: no curves");
  const history = historyRead.records.map(toHistoryPoint);
  const events = readJsonlFrom(join(dir, "events.jsonl"), "events.jsonl", notes).records;
  if (!existsSync(join(dir, "events.jsonl")))
    notes.push("events.jsonl is missing: no step timings");

  const status = asString(statusRecord?.status) ?? "unknown";
  const createdAt = asString(meta.createdAt);
  const updatedAt = asString(statusRecord?.updatedAt);
  const durationMs =
    createdAt && updatedAt ? Date.parse(updatedAt) - Date.parse(createdAt) : undefined;
  const pid = asNumber(statusRecord?.pid);
  if (status === "running" && pid !== undefined && !isProcessAlive(pid))
    notes.push(
      `status.json says running, but its process (pid ${pid}) is gone: the run crashed or was killed`,
    );

  const summary = numericValues(summaryRecord ?? {});
  if (summaryRecord === undefined && history.length > 0) {
    for (const point of history) Object.assign(summary, point.values);
    notes.push("summary values are the last history values (summary.json is missing)");
  }
  const { overrides, configFiles } = commandLineOverrides(meta, config, notes);
  if (meta.backend === undefined && Object.keys(meta).length > 0)
    notes.push("meta.json does not record the backend (a run from an older tipi?)");
  const { steps, error } = stepTimings(events);
  const pipeline = asString(meta.pipeline);
  const runId = asString(meta.runId);
  return {
    kind: "run",
    dir,
    title: pipeline && runId ? `${pipeline} · ${runId}` : basename(dir),
    ...(pipeline ? { pipeline } : {}),
    ...(runId ? { runId } : {}),
    status,
    ...(createdAt ? { createdAt } : {}),
    ...(updatedAt ? { updatedAt } : {}),
    ...(durationMs !== undefined && Number.isFinite(durationMs) ? { durationMs } : {}),
    meta,
    ...(config ? { config } : {}),
    overrides,
    configFiles,
    summary,
    history,
    historyBytes: historyRead.bytes,
    steps,
    ...(error ? { error } : {}),
    ...readMedia(join(dir, "media"), notes),
    checkpoints: readCheckpoints(join(dir, "checkpoints")),
    model: listFiles(join(dir, "model")).map((file) => ({
      file: `model/${file}`,
      bytes: fileInfo(join(dir, "model", file))?.bytes ?? 0,
    })),
    ...readSync(dir, notes),
    notes,
  };
}

function numericValues(record: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(record))
    if (typeof value === "number" && Number.isFinite(value) && !key.startsWith("_"))
      out[key] = value;
  return out;
}

/**
 * The config keys set on the command line, and the `-c` files: from `meta.json`'s `recipe`
 * (what `--resume` re-applies, with the keys a resume changed by `--allow-changes`), else, for
 * runs recorded before recipes, read back from its `argv`.
 */
function commandLineOverrides(
  meta: Record<string, unknown>,
  config: Record<string, unknown> | undefined,
  notes: Notes,
): { overrides: ConfigOverride[]; configFiles: string[] } {
  const landed = (key: string): string => {
    if (!config) return key;
    return resolveOverrideKey(config, key)
      .map((path) => path.join("."))
      .unwrapOr(key);
  };
  if (isTable(meta.recipe)) {
    const recipe = meta.recipe;
    const overrides = new Map<string, string>();
    for (const text of Array.isArray(recipe.set) ? recipe.set : []) {
      if (typeof text !== "string" || !text.includes("=")) continue;
      overrides.set(landed(text.slice(0, text.indexOf("="))), `--set ${text}`);
    }
    if (typeof recipe.seed === "number") overrides.set("pipeline.seed", `--seed ${recipe.seed}`);
    for (const resume of Array.isArray(meta.resumes) ? meta.resumes.filter(isTable) : []) {
      for (const key of Array.isArray(resume.changed) ? resume.changed : []) {
        if (typeof key === "string")
          overrides.set(key, `--resume --allow-changes (${String(resume.at ?? "")})`);
      }
    }
    return {
      overrides: [...overrides].map(([path, source]) => ({ path, source })),
      configFiles: Array.isArray(recipe.configFiles)
        ? recipe.configFiles.filter((f): f is string => typeof f === "string")
        : [],
    };
  }
  const argv = meta.argv;
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === "string"))
    return { overrides: [], configFiles: [] };
  const runIndex = argv.indexOf("run");
  const command = findCommand("run");
  if (runIndex === -1 || command === undefined) return { overrides: [], configFiles: [] };
  try {
    const args = parseArgs(command, argv.slice(runIndex + 1));
    const overrides: ConfigOverride[] = [];
    for (const override of args.overrides)
      overrides.push({ path: landed(override.key), source: override.source });
    if (args.options.seed !== undefined)
      overrides.push({ path: "pipeline.seed", source: `--seed ${String(args.options.seed)}` });
    const files = args.options.config;
    return {
      overrides,
      configFiles: Array.isArray(files) ? files.map(String) : [],
    };
  } catch (error) {
    notes.push(`meta.json's command line cannot be read back: ${(error as Error).message}`);
    return { overrides: [], configFiles: [] };
  }
}

function errorMessage(error: unknown): string | undefined {
  if (!isTable(error)) return typeof error === "string" ? error : undefined;
  const message = asString(error.message);
  const kind = asString(error.kind);
  return message ? (kind ? `${kind}: ${message}` : message) : kind;
}

function stepTimings(events: readonly Record<string, unknown>[]): {
  steps: StepTiming[];
  error?: string;
} {
  const steps = new Map<string, StepTiming>();
  let error: string | undefined;
  for (const event of events) {
    const name = asString(event.step);
    if (event.type === "step:start" && name) steps.set(name, { name, state: "running" });
    else if (event.type === "step:end" && name) {
      const durationMs = asNumber(event.durationMs);
      steps.set(name, {
        name,
        state: event.skipped === true ? "skipped" : "finished",
        ...(durationMs === undefined ? {} : { durationMs }),
      });
    } else if (event.type === "step:error" && name) {
      const message = errorMessage(event.error);
      steps.set(name, { name, state: "failed", ...(message ? { error: message } : {}) });
    } else if (event.type === "run:end" && event.ok === false) {
      error = errorMessage(event.error) ?? "the run failed";
    }
  }
  return { steps: [...steps.values()], ...(error ? { error } : {}) };
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

const MAX_INLINE_IMAGE_BYTES = 2 * 1024 * 1024;

function readMedia(mediaDir: string, notes: Notes): Pick<RunData, "figures" | "images"> {
  const files = listFiles(mediaDir);
  const figures: ReportFigure[] = [];
  const images: { name: string; src: string }[] = [];
  for (const file of files.filter((f) => extname(f) === ".json")) {
    const value = readJsonObject(join(mediaDir, file), `media/${file}`, notes);
    const name = basename(file, ".json");
    if (value === undefined) continue;
    // Older tipi wrote `{ type: "confusion_matrix", … }`; now it is the Figure shape.
    if (
      (value.kind === "confusion-matrix" || value.type === "confusion_matrix") &&
      Array.isArray(value.matrix)
    ) {
      const matrix = (value.matrix as unknown[]).map((row) =>
        Array.isArray(row) ? row.map((cell) => (typeof cell === "number" ? cell : 0)) : [],
      );
      const labels = Array.isArray(value.labels)
        ? value.labels.map(String)
        : matrix.map((_, i) => String(i));
      figures.push({ kind: "confusion-matrix", name, labels, matrix });
    } else if (
      value.kind === "table" &&
      Array.isArray(value.columns) &&
      Array.isArray(value.rows)
    ) {
      figures.push({
        kind: "table",
        name,
        columns: value.columns.map(String),
        rows: (value.rows as unknown[]).filter(Array.isArray) as unknown[][],
      });
    }
  }
  for (const file of files.filter((f) => extname(f) === ".png")) {
    if (files.includes(`${basename(file, ".png")}.json`)) continue;
    const path = join(mediaDir, file);
    if ((fileInfo(path)?.bytes ?? 0) > MAX_INLINE_IMAGE_BYTES) {
      notes.push(`media/${file} is larger than 2 MB and not inlined`);
      continue;
    }
    images.push({
      name: basename(file, ".png"),
      src: `data:image/png;base64,${readFileSync(path).toString("base64")}`,
    });
  }
  return { figures, images };
}

function readCheckpoints(dir: string): CheckpointFile[] {
  return listFiles(dir).flatMap((file) => {
    const info = fileInfo(join(dir, file));
    if (info === undefined || file.endsWith(".tmp")) return [];
    const step = /(\d+)/.exec(file)?.[1];
    return [{ file, ...info, ...(step === undefined ? {} : { step: Number(step) }) }];
  });
}

function readSync(dir: string, notes: Notes): { sync?: SyncInfo } {
  const state = readJsonObject(join(dir, "wandb-sync.json"), "wandb-sync.json", notes, {
    optional: true,
  });
  if (state === undefined) return {};
  const ranges = Array.isArray(state.history) ? state.history : [];
  const rowsAcknowledged = ranges.reduce<number>(
    (sum, range) =>
      Array.isArray(range) && typeof range[0] === "number" && typeof range[1] === "number"
        ? sum + (range[1] - range[0])
        : sum,
    0,
  );
  const pick = (key: string) => asString(state[key]);
  return {
    sync: {
      ...(pick("project") ? { project: pick("project") } : {}),
      ...(pick("entity") ? { entity: pick("entity") } : {}),
      ...(pick("runId") ? { runId: pick("runId") } : {}),
      ...(pick("mode") ? { mode: pick("mode") } : {}),
      ...(typeof state.upserted === "boolean" ? { upserted: state.upserted } : {}),
      rowsAcknowledged,
      complete: isTable(state.complete),
      ...(pick("lastError") ? { lastError: pick("lastError") } : {}),
      ...(pick("updatedAt") ? { updatedAt: pick("updatedAt") } : {}),
    },
  };
}
