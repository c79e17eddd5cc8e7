import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import type { Figure, TipiEvent } from "@tipi/core";
import { confusionMatrixImage, encodePng } from "../logger/png.ts";
import { JsonlAppender, readJson, readJsonl, writeJsonAtomic } from "./jsonl.ts";
import { redactSecrets, redactString } from "./redact.ts";
import { isValidRunId, newRunId } from "./run-id.ts";
import { attemptEach, guardWrite, RunStoreWriteError } from "./write-error.ts";

export type RunStatus = "running" | "finished" | "failed" | "interrupted";

/** One row of `history.jsonl`: the scalars of one training step. */
export interface HistoryRow {
  readonly step?: number;
  readonly epoch?: number;
  readonly values: Readonly<Record<string, number>>;
  /** Milliseconds since the epoch; defaults to now. */
  readonly time?: number;
}

/** What `meta.json` holds. */
export interface RunMeta {
  readonly runId: string;
  readonly pipeline: string;
  readonly createdAt: string;
  readonly hostname: string;
  readonly pid: number;
  readonly node: string;
  readonly [extra: string]: unknown;
}

/** What `status.json` holds. */
export interface RunStatusRecord {
  readonly status: RunStatus;
  readonly updatedAt: string;
  readonly pid: number;
  /** Why the run failed (or what went wrong writing it), when it did. */
  readonly error?: string;
}

export interface CreateRunOptions {
  /** The runs root, usually `runs/`; the run lands in `<root>/<pipeline>/<runId>/`. */
  readonly root: string;
  readonly pipeline: string;
  /** Defaults to a fresh {@link newRunId}. */
  readonly runId?: string;
  /** Use exactly this directory instead of `<root>/<pipeline>/<runId>` (`--run-dir`). */
  readonly dir?: string;
  /** The resolved config; written to `config.json` with secrets redacted. */
  readonly config: unknown;
  /** Extra metadata merged into `meta.json` (redacted too). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

export const RUN_FILES = {
  config: "config.json",
  meta: "meta.json",
  status: "status.json",
  events: "events.jsonl",
  history: "history.jsonl",
  summary: "summary.json",
  checkpoints: "checkpoints",
  media: "media",
} as const;

/** Progress events are UI chatter: keep a bar's first and last event, and one per second. */
const PROGRESS_EVENT_INTERVAL_MS = 1000;

/**
 * A run directory on disk: `config.json`, `meta.json`, `status.json`, `events.jsonl`,
 * `history.jsonl`, `summary.json`, `checkpoints/`, `media/`. Appends are line-durable, JSON files are
 * replaced atomically, and everything written is passed through {@link redactSecrets}.
 *
 * @example
 * const store = RunStore.create({ root: "runs", pipeline: "mnist", config });
 * const result = await pipeline.run(input, { onEvent: store.listener(), runDir: store.dir });
 */
export class RunStore {
  /** Open stores by directory: one writer per run directory in a process. */
  static readonly #live = new Map<string, RunStore>();
  readonly dir: string;
  readonly runId: string;
  readonly pipeline: string;
  readonly #history: JsonlAppender;
  readonly #events: JsonlAppender;
  #historyRows: number;
  readonly #lastValues: Record<string, number> = {};
  #explicitSummary: Record<string, unknown>;
  readonly #progressWrittenAt = new Map<string, number>();
  readonly #historyListeners = new Set<(row: StoredHistoryRow) => void>();
  readonly #eventListeners = new Set<(event: TipiEvent) => void>();

  private constructor(dir: string, meta: RunMeta) {
    this.dir = dir;
    this.runId = meta.runId;
    this.pipeline = meta.pipeline;
    this.#history = new JsonlAppender(join(dir, RUN_FILES.history));
    this.#events = new JsonlAppender(join(dir, RUN_FILES.events));
    const rows = readJsonl<StoredHistoryRow>(this.#history.path);
    this.#historyRows = rows.length;
    for (const row of rows) Object.assign(this.#lastValues, row.values);
    // Summary keys that are not history metrics were written explicitly; keep them on resume.
    const summary = readJson<Record<string, unknown>>(join(dir, RUN_FILES.summary)) ?? {};
    this.#explicitSummary = Object.fromEntries(
      Object.entries(summary).filter(([key]) => !(key in this.#lastValues)),
    );
  }

  /** Creates a new run directory and marks it `running`. Throws if it already holds a run. */
  static create(options: CreateRunOptions): RunStore {
    const pipeline = safeSegment(options.pipeline);
    const { dir, runId } = claimDirectory(options, pipeline);
    const checkpoints = join(dir, RUN_FILES.checkpoints);
    guardWrite("create", checkpoints, () => mkdirSync(checkpoints, { recursive: true }));
    const meta: RunMeta = {
      ...redactSecrets(options.meta ?? {}),
      runId,
      pipeline: options.pipeline,
      createdAt: new Date().toISOString(),
      hostname: hostname(),
      pid: process.pid,
      node: process.version,
    };
    writeJsonAtomic(join(dir, RUN_FILES.config), redactSecrets(options.config ?? {}));
    writeJsonAtomic(join(dir, RUN_FILES.meta), meta);
    const store = new RunStore(dir, meta);
    RunStore.#live.set(dir, store);
    store.setStatus("running");
    return store;
  }

  /**
   * Opens an existing run directory (to resume it or add to it). Within one process the same
   * directory yields the same instance, so the CLI and a logger never race on `_index`.
   * Throws if `dir` is not a run directory.
   */
  static open(dir: string): RunStore {
    const absolute = resolve(dir);
    const live = RunStore.#live.get(absolute);
    if (live !== undefined) return live;
    const meta = readJson<RunMeta>(join(absolute, RUN_FILES.meta));
    if (meta === undefined)
      throw new Error(`not a run directory (no ${RUN_FILES.meta}): ${absolute}`);
    const checkpoints = join(absolute, RUN_FILES.checkpoints);
    guardWrite("create", checkpoints, () => mkdirSync(checkpoints, { recursive: true }));
    const store = new RunStore(absolute, meta);
    RunStore.#live.set(absolute, store);
    return store;
  }

  get checkpointDir(): string {
    return join(this.dir, RUN_FILES.checkpoints);
  }

  get mediaDir(): string {
    return join(this.dir, RUN_FILES.media);
  }

  /** How many rows `history.jsonl` holds. */
  get historyLength(): number {
    return this.#historyRows;
  }

  /** Appends one row to `history.jsonl`; `_index` is its 0-based position (W&B's `_step`). */
  appendHistory(row: HistoryRow): void {
    const stored: StoredHistoryRow = {
      _index: this.#historyRows,
      ...(row.step === undefined ? {} : { step: row.step }),
      ...(row.epoch === undefined ? {} : { epoch: row.epoch }),
      time: row.time ?? Date.now(),
      values: redactSecrets({ ...row.values }),
    };
    this.#history.append(stored);
    this.#historyRows++;
    Object.assign(this.#lastValues, stored.values);
    for (const listener of this.#historyListeners) {
      try {
        listener(stored);
      } catch {
        // A tracker's failure must never stop training; the row is on disk already.
      }
    }
  }

  /** Calls `listener` with every history row appended from now on; returns an unsubscribe. */
  onHistory(listener: (row: StoredHistoryRow) => void): () => void {
    this.#historyListeners.add(listener);
    return () => this.#historyListeners.delete(listener);
  }

  /** Appends an event to `events.jsonl` (progress events are thinned, see the docs). */
  appendEvent(event: TipiEvent): void {
    if (event.type === "progress" && !this.#shouldKeepProgress(event)) return;
    this.#events.append({ time: Date.now(), ...redactSecrets(event) });
    for (const listener of this.#eventListeners) {
      try {
        listener(event);
      } catch {
        // As for history listeners: a tracker never breaks the run.
      }
    }
  }

  /** Calls `listener` with every event stored from now on; returns an unsubscribe. */
  onEvent(listener: (event: TipiEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /**
   * Writes `data` to `media/<name>.<extension>` (`<name>_<step>.<extension>` with a step; the
   * name made file-safe) and returns its path inside the run directory.
   */
  writeMedia(name: string, extension: string, data: Uint8Array | string, step?: number): string {
    guardWrite("create", this.mediaDir, () => mkdirSync(this.mediaDir, { recursive: true }));
    const safe = redactString(name).replace(/[^A-Za-z0-9._-]+/g, "_");
    const file = join(
      this.mediaDir,
      step === undefined ? `${safe}.${extension}` : `${safe}_${step}.${extension}`,
    );
    guardWrite("write", file, () => writeFileSync(file, data));
    const path = relative(this.dir, file);
    this.appendEvent({ type: "log", level: "info", message: `media: ${path}` });
    return path;
  }

  /**
   * Stores a {@link Figure} as `media/<name>.json` (a confusion matrix also as a PNG heat map,
   * rows normalised) and records its paths in the summary under `name`:
   * `{ _type: "confusion_matrix", path, image }` or `{ _type: "table", path }`. Returns the
   * JSON's path. This is what the {@link listener} does with a `figure` event.
   */
  storeFigure(name: string, figure: Figure, step?: number): string {
    const path = this.writeMedia(name, "json", `${JSON.stringify(redactSecrets(figure))}\n`, step);
    if (figure.kind === "confusion-matrix") {
      const image =
        figure.matrix.length === 0
          ? undefined
          : this.writeMedia(name, "png", encodePng(confusionMatrixImage(figure.matrix)), step);
      this.writeSummary({ [name]: { _type: "confusion_matrix", path, image } });
    } else {
      this.writeSummary({ [name]: { _type: "table", path } });
    }
    return path;
  }

  /**
   * Merges `values` into `summary.json`. The summary also holds the last value of every
   * history metric (as W&B does); explicit values win over those.
   */
  writeSummary(values: Readonly<Record<string, unknown>>): void {
    this.#explicitSummary = { ...this.#explicitSummary, ...redactSecrets(values) };
    this.#flushSummary();
  }

  /**
   * Merges `patch` into `meta.json` (redacted, replaced atomically), e.g. what is only known once
   * the run started, such as the backend the device resolved. The keys the store owns
   * (`runId`, `pipeline`, `createdAt`) cannot be changed.
   */
  updateMeta(patch: Readonly<Record<string, unknown>>): void {
    const path = join(this.dir, RUN_FILES.meta);
    const current = readJson<RunMeta>(path);
    const meta = {
      ...current,
      ...redactSecrets(patch),
      runId: this.runId,
      pipeline: this.pipeline,
      createdAt: current?.createdAt,
    };
    writeJsonAtomic(path, meta);
  }

  /** The run's (redacted) config as written to `config.json`. */
  config(): Record<string, unknown> {
    return readJson<Record<string, unknown>>(join(this.dir, RUN_FILES.config)) ?? {};
  }

  /** The current summary (last metric values merged with explicit ones). */
  summary(): Record<string, unknown> {
    return { ...this.#lastValues, ...this.#explicitSummary };
  }

  /**
   * Writes `status.json` (with `error`, redacted, when given); also syncs the logs to disk and
   * refreshes the summary. The status is written even when syncing fails; the first failure is
   * thrown afterwards as a {@link RunStoreWriteError}.
   */
  setStatus(status: RunStatus, options: { readonly error?: string } = {}): void {
    const failure = attemptEach([
      () => this.#history.sync(),
      () => this.#events.sync(),
      status !== "running" && (() => this.#flushSummary()),
    ]);
    const record: RunStatusRecord = {
      status,
      updatedAt: new Date().toISOString(),
      pid: process.pid,
      ...(options.error === undefined ? {} : { error: redactString(options.error) }),
    };
    writeJsonAtomic(join(this.dir, RUN_FILES.status), record);
    if (failure !== undefined) throw failure;
  }

  /**
   * An event listener for `pipeline.run(…, { onEvent })`: every event goes to `events.jsonl`,
   * metric events become history rows, figure events media files ({@link storeFigure}), and
   * `run:end` sets the final status and summary.
   */
  listener(): (event: TipiEvent) => void {
    return (event) => {
      this.appendEvent(event);
      if (event.type === "metric") {
        this.appendHistory({ step: event.step, epoch: event.epoch, values: event.values });
      } else if (event.type === "figure") {
        this.storeFigure(event.name, event.figure, event.step);
      } else if (event.type === "run:end") {
        const cancelled = event.error?.kind === "cancelled";
        this.setStatus(event.ok ? "finished" : cancelled ? "interrupted" : "failed");
      }
    };
  }

  /** Closes the open log files (fsyncing them); a later `open` reads the directory afresh. */
  close(): void {
    if (RunStore.#live.get(this.dir) === this) RunStore.#live.delete(this.dir);
    this.#history.close();
    this.#events.close();
  }

  #flushSummary(): void {
    writeJsonAtomic(join(this.dir, RUN_FILES.summary), this.summary());
  }

  #shouldKeepProgress(event: Extract<TipiEvent, { type: "progress" }>): boolean {
    const now = Date.now();
    const last = this.#progressWrittenAt.get(event.id);
    if (event.done) {
      this.#progressWrittenAt.delete(event.id);
      return true;
    }
    if (last !== undefined && now - last < PROGRESS_EVENT_INTERVAL_MS) return false;
    this.#progressWrittenAt.set(event.id, now);
    return true;
  }
}

/** A `history.jsonl` line as stored. */
export interface StoredHistoryRow {
  readonly _index: number;
  readonly step?: number;
  readonly epoch?: number;
  readonly time: number;
  readonly values: Record<string, number>;
}

/** Reads the run's history rows (a torn last line is ignored). */
export function readHistory(runDir: string): StoredHistoryRow[] {
  return readJsonl<StoredHistoryRow>(join(runDir, RUN_FILES.history));
}

function claimDirectory(
  options: CreateRunOptions,
  pipeline: string,
): { dir: string; runId: string } {
  if (options.dir !== undefined) {
    const dir = resolve(options.dir);
    if (existsSync(join(dir, RUN_FILES.meta))) {
      throw new Error(
        `run directory already holds a run: ${dir} (use RunStore.open to continue it)`,
      );
    }
    guardWrite("create", dir, () => mkdirSync(dir, { recursive: true }));
    return { dir, runId: options.runId ?? basename(dir) };
  }
  const parent = resolve(options.root, pipeline);
  guardWrite("create", parent, () => mkdirSync(parent, { recursive: true }));
  if (options.runId !== undefined) {
    if (!isValidRunId(options.runId))
      throw new Error(`invalid run id: ${JSON.stringify(options.runId)}`);
    const dir = join(parent, options.runId);
    mkdirExclusive(dir, true);
    return { dir, runId: options.runId };
  }
  for (let attempt = 0; ; attempt++) {
    const runId = newRunId();
    const dir = join(parent, runId);
    if (mkdirExclusive(dir, attempt >= 20)) return { dir, runId };
  }
}

function mkdirExclusive(dir: string, throwOnExisting: boolean): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST")
      throw new RunStoreWriteError("create", dir, error);
    if (throwOnExisting) throw new Error(`run directory already exists: ${dir}`);
    return false;
  }
}

function safeSegment(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "_");
  return safe === "" ? "pipeline" : safe;
}

export { safeSegment as _safePipelineSegment };
