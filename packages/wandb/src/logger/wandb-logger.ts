import type { LifecycleContext, Permanence, TipiEvent } from "@tipi/core";
import { redactSecrets, redactString, registerSecret } from "../store/redact.ts";
import { RunStore, type StoredHistoryRow } from "../store/run-store.ts";
import { type SyncReport, syncRun, toWandbRow } from "../sync/sync-run.ts";
import {
  addRange,
  newWandbRunId,
  readSyncState,
  type WandbSyncState,
  writeSyncState,
} from "../sync/sync-state.ts";
import { encodePng, type RawImage } from "./png.ts";
import { SdkProcess, type SdkReport } from "./sdk-process.ts";
import { wandbLoggerParams } from "./wandb-logger-params.ts";

/** `online`: stream to W&B (best effort) and sync at the end; `offline`: local only, `tipi sync` later; `disabled`: no W&B at all. */
export type WandBMode = "online" | "offline" | "disabled";

export interface WandBTimeouts {
  /** Viewer + UpsertBucket through the SDK. Default 10 s. */
  readonly initMs?: number;
  /** The SDK's `finish()` (final file_stream + complete). Default 10 s. */
  readonly finishMs?: number;
  /** Each request of the final sync. Default 5 s. */
  readonly requestMs?: number;
  /** The whole final sync (the rest stays pending for `tipi sync`). Default 15 s. */
  readonly syncMs?: number;
}

export interface WandBLoggerOptions {
  /** Default: `WANDB_MODE` when it names a mode, else `online`. */
  readonly mode?: WandBMode;
  /** Default: `WANDB_PROJECT`, else the pipeline name. */
  readonly project?: string;
  readonly entity?: string;
  /** The W&B display name. Default: the tipi run id. */
  readonly name?: string;
  readonly tags?: readonly string[];
  /** Config sent to W&B. Default: the run directory's `config.json`. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Default: `WANDB_API_KEY`. Never written anywhere. */
  readonly apiKey?: string;
  /** Default: `WANDB_BASE_URL`, else `https://api.wandb.ai`. */
  readonly baseUrl?: string;
  /** The run directory; default: the run's (`ctx.runDir`), else a new one under `root`. */
  readonly runDir?: string;
  /** Where a run directory is created when none is given. Default `runs`. */
  readonly root?: string;
  /** Pipeline name for a run directory created here. Default `script`. */
  readonly pipeline?: string;
  readonly timeouts?: WandBTimeouts;
  /** Upload what the SDK did not confirm when the run ends (online mode). Default true. */
  readonly syncOnFinish?: boolean;
}

/** What {@link WandBLogger.finish} reports. */
export interface WandBFinishReport {
  readonly mode: WandBMode;
  readonly runDir: string;
  readonly wandbRunId?: string;
  readonly totalRows: number;
  /** Rows W&B confirmed (live or by the final sync). */
  readonly confirmedRows: number;
  /** Problems met on the way (redacted); the run itself is unaffected. */
  readonly warnings: readonly string[];
}

const DEFAULT_TIMEOUTS = {
  initMs: 10_000,
  finishMs: 10_000,
  requestMs: 5_000,
  syncMs: 15_000,
} as const;

/**
 * Experiment tracking as a permanence. The run directory is written first and is the source
 * of truth (`history.jsonl`, `summary.json`, `media/`); W&B is best effort: the real
 * `@wandb/sdk` runs in a child process with hard timeouts, and whatever W&B did not confirm
 * is uploaded by a sync at the end (or later with `tipi sync`), exactly once.
 *
 * @example
 * Pipeline.create<{}>().provide({ logger: () => new WandBLogger({ project: "mnist" }) })
 */
export class WandBLogger implements Permanence {
  /** Params schema for config-built pipelines (see {@link registerWandb}). */
  static readonly params = wandbLoggerParams;
  readonly options: WandBLoggerOptions;
  readonly mode: WandBMode;
  #store: RunStore | undefined;
  #sdk: SdkProcess | undefined;
  #sdkReady: Promise<boolean> = Promise.resolve(false);
  #sdkLive = false;
  #queue: StoredHistoryRow[] = [];
  #unsubscribe: (() => void) | undefined;
  #startTime = Date.now();
  #warnings: string[] = [];
  #finished: Promise<WandBFinishReport> | undefined;
  /** Set when the run's events show a failure (cleanup runs before `run:end`). */
  #failed = false;
  #unwatchEvents: (() => void) | undefined;
  /** file_stream statuses already warned about (one warning each, not one per request). */
  readonly #rejectedStatuses = new Set<number>();

  constructor(options: WandBLoggerOptions = {}) {
    this.options = options;
    this.mode = options.mode ?? modeFromEnv();
    if (options.apiKey !== undefined) registerSecret(options.apiKey);
  }

  /** The run store this logger writes to (available after `initialize`). */
  get store(): RunStore {
    if (this.#store === undefined) throw new Error("WandBLogger: call initialize() first");
    return this.#store;
  }

  get runDir(): string {
    return this.store.dir;
  }

  /** Opens (or creates) the run directory and, online, starts the SDK without waiting for it. */
  initialize(ctx: Partial<LifecycleContext> = {}): void {
    if (this.#store !== undefined) return;
    const dir = this.options.runDir ?? ctx.runDir;
    this.#store = openOrCreate(dir, this.options);
    this.#startTime = Date.now();
    this.#unwatchEvents = this.#store.onEvent((event) => {
      if (event.type === "step:error" || (event.type === "run:end" && !event.ok))
        this.#failed = true;
    });
    if (this.mode === "disabled") return;
    const state = this.#ensureSyncState();
    if (this.mode === "online") this.#startSdk(state);
  }

  /** Appends one row of scalars to `history.jsonl` (and so to W&B). */
  log(values: Readonly<Record<string, number>>, at: { step?: number; epoch?: number } = {}): void {
    this.store.appendHistory({ ...at, values });
  }

  /** Merges values into `summary.json` (uploaded by the final sync). */
  summary(values: Readonly<Record<string, unknown>>): void {
    this.store.writeSummary(values);
  }

  /**
   * Stores an image under `media/` and returns its path in the run directory: encoded
   * PNG/JPEG bytes as they are, or raw pixels ({@link RawImage}, floats in 0..1) encoded as
   * PNG. Local only (see docs/tracking.md).
   */
  logImage(
    name: string,
    image: Uint8Array | RawImage,
    at: { step?: number; extension?: "png" | "jpg" } = {},
  ): string {
    const bytes = image instanceof Uint8Array ? image : encodePng(image);
    return this.#writeMedia(
      name,
      at.step,
      image instanceof Uint8Array ? (at.extension ?? "png") : "png",
      bytes,
    );
  }

  /** Stores a figure as JSON under `media/` (e.g. a confusion matrix); returns its path. Local only. */
  logFigure(name: string, figure: unknown, at: { step?: number } = {}): string {
    return this.#writeMedia(
      name,
      at.step,
      "json",
      `${JSON.stringify(redactSecrets(figure), null, 2)}\n`,
    );
  }

  /**
   * Stores a confusion matrix (`matrix[actual][predicted]`) as JSON and as a PNG heat map
   * under `media/`, and records both paths in the summary. Returns the JSON's path. A
   * `figure` event of kind `confusion-matrix` on the run's bus is stored the same way.
   */
  logConfusionMatrix(
    name: string,
    matrix: readonly (readonly number[])[],
    labels?: readonly string[],
    at: { step?: number } = {},
  ): string {
    return this.store.storeFigure(
      name,
      { kind: "confusion-matrix", labels: labels ?? matrix.map((_, i) => String(i)), matrix },
      at.step,
    );
  }

  /** The run store's event listener (for `pipeline.run(…, { onEvent })` outside the CLI). */
  listener(): (event: TipiEvent) => void {
    return this.store.listener();
  }

  /** Ends W&B logging: finishes the SDK (bounded), then syncs what it did not confirm. Idempotent. */
  finish(exitCode = 0): Promise<WandBFinishReport> {
    this.#finished ??= this.#finish(exitCode);
    return this.#finished;
  }

  /** Lifecycle cleanup: {@link finish} with exit code 1 when the run failed or was aborted. */
  async cleanup(ctx: Partial<LifecycleContext> = {}): Promise<void> {
    if (this.#store === undefined) return;
    await this.finish(ctx.signal?.aborted || this.#failed ? 1 : 0);
  }

  #ensureSyncState(): WandbSyncState {
    const store = this.store;
    const existing = readSyncState(store.dir);
    if (existing !== undefined) return existing;
    return writeSyncState(store.dir, {
      version: 1,
      // Under a W&B sweep agent, join the run the agent created.
      runId: process.env.WANDB_RUN_ID ?? newWandbRunId(),
      sweep: process.env.WANDB_SWEEP_ID,
      project: this.options.project ?? process.env.WANDB_PROJECT ?? store.pipeline,
      entity: this.options.entity ?? process.env.WANDB_ENTITY,
      displayName: this.options.name ?? store.runId,
      tags: this.options.tags,
      mode: this.mode === "online" ? "online" : "offline",
      upserted: false,
      history: [],
    });
  }

  #startSdk(state: WandbSyncState): void {
    const store = this.store;
    const apiKey = this.#apiKey();
    if (apiKey === "") {
      this.#warn("online mode without WANDB_API_KEY: logging locally only; run `tipi sync` later");
      return;
    }
    // The SDK always streams from offset 0, so it may only write a run W&B has nothing of.
    if (store.historyLength > 0 || state.history.length > 0) {
      this.#warn("resumed run: W&B is updated by the final sync, not live");
      return;
    }
    const timeouts = { ...DEFAULT_TIMEOUTS, ...this.options.timeouts };
    const sdk = SdkProcess.spawn({ apiKey, onReport: (report) => this.#onReport(report) });
    this.#sdk = sdk;
    this.#unsubscribe = store.onHistory((row) => this.#forward(row));
    this.#sdkReady = sdk
      .init(
        {
          id: state.runId,
          project: state.project,
          entity: state.entity,
          name: state.displayName,
          config: redactSecrets({ ...(this.options.config ?? store.config()) }),
          baseUrl: this.#baseUrl(),
        },
        timeouts.initMs,
      )
      .then((outcome) => {
        if (outcome.isErr()) {
          this.#warn(outcome.error);
          this.#stopLive();
          return false;
        }
        this.#sdkLive = true;
        const current = readSyncState(store.dir) ?? state;
        writeSyncState(store.dir, {
          ...current,
          entity: outcome.value.entity,
          project: outcome.value.project,
        });
        const queued = this.#queue;
        this.#queue = [];
        for (const row of queued) this.#forward(row);
        return true;
      });
  }

  #forward(row: StoredHistoryRow): void {
    if (!this.#sdkLive) {
      if (this.#sdk !== undefined) this.#queue.push(row);
      return;
    }
    this.#sdk?.log(row._index, toWandbRow(row, this.#startTime));
  }

  #onReport(report: SdkReport): void {
    if (report.status !== 200) {
      if (this.#rejectedStatuses.has(report.status)) return;
      this.#rejectedStatuses.add(report.status);
      this.#warn(
        `W&B did not accept a file_stream request (HTTP ${report.status || "no answer"}); the final sync will retry`,
      );
      return;
    }
    const dir = this.store.dir;
    const state = readSyncState(dir);
    if (state === undefined) return;
    if (report.type === "history") {
      writeSyncState(dir, {
        ...state,
        history: addRange(state.history, report.from, report.to),
      });
    } else {
      writeSyncState(dir, { ...state, complete: { exitcode: report.exitCode } });
    }
  }

  #stopLive(): void {
    this.#sdkLive = false;
    this.#queue = [];
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#sdk?.kill();
  }

  async #finish(exitCode: number): Promise<WandBFinishReport> {
    // The SDK's timers and channel are unref'd; hold the process open until finish is done.
    const keepAlive = setInterval(() => {}, 60_000);
    this.#unwatchEvents?.();
    try {
      return await this.#finishBounded(exitCode);
    } finally {
      clearInterval(keepAlive);
    }
  }

  async #finishBounded(exitCode: number): Promise<WandBFinishReport> {
    const store = this.store;
    const timeouts = { ...DEFAULT_TIMEOUTS, ...this.options.timeouts };
    if (this.#sdk !== undefined) {
      const ready = await this.#sdkReady;
      this.#unsubscribe?.();
      if (ready) {
        const outcome = await this.#sdk.finish(exitCode, timeouts.finishMs);
        if (outcome.isErr()) this.#warn(outcome.error);
      }
      this.#stopLive();
    }
    let confirmedRows = 0;
    if (this.mode === "online" && this.#apiKey() !== "" && this.options.syncOnFinish !== false) {
      const result = await syncRun(store.dir, {
        apiKey: this.#apiKey(),
        baseUrl: this.#baseUrl(),
        timeoutMs: timeouts.requestMs,
        budgetMs: timeouts.syncMs,
        exitCode,
      });
      result.match(
        (report: SyncReport) => {
          confirmedRows = report.confirmedRows;
        },
        (error) =>
          this.#warn(`W&B sync failed, run \`tipi sync ${store.dir}\` later: ${error.message}`),
      );
    }
    const state = readSyncState(store.dir);
    if (state !== undefined && confirmedRows === 0) {
      confirmedRows = state.history.reduce((sum, [from, to]) => sum + (to - from), 0);
    }
    return {
      mode: this.mode,
      runDir: store.dir,
      wandbRunId: state?.runId,
      totalRows: store.historyLength,
      confirmedRows,
      warnings: [...this.#warnings],
    };
  }

  #warn(message: string): void {
    const text = redactString(message, { secrets: [this.#apiKey()] });
    this.#warnings.push(text);
    this.#store?.appendEvent({ type: "log", level: "warn", message: `wandb: ${text}` });
  }

  #apiKey(): string {
    return this.options.apiKey ?? process.env.WANDB_API_KEY ?? "";
  }

  #baseUrl(): string {
    return this.options.baseUrl ?? process.env.WANDB_BASE_URL ?? "https://api.wandb.ai";
  }

  #writeMedia(
    name: string,
    step: number | undefined,
    extension: string,
    data: Uint8Array | string,
  ): string {
    return this.store.writeMedia(name, extension, data, step);
  }
}

function modeFromEnv(): WandBMode {
  const mode = process.env.WANDB_MODE;
  if (mode === "offline" || mode === "disabled" || mode === "online") return mode;
  if (mode === "dryrun") return "offline";
  return "online";
}

function openOrCreate(dir: string | undefined, options: WandBLoggerOptions): RunStore {
  if (dir !== undefined) {
    try {
      return RunStore.open(dir);
    } catch {
      return RunStore.create({
        root: options.root ?? "runs",
        dir,
        pipeline: options.pipeline ?? "script",
        config: options.config ?? {},
      });
    }
  }
  return RunStore.create({
    root: options.root ?? "runs",
    pipeline: options.pipeline ?? "script",
    config: options.config ?? {},
  });
}
