import { createHash } from "node:crypto";
import { join } from "node:path";
import { messageOf } from "@tipi/core";
import { errAsync, ResultAsync } from "neverthrow";
import { acquirePidLock } from "../lock/pid-lock.ts";
import { readJson } from "../store/jsonl.ts";
import { redactString } from "../store/redact.ts";
import {
  RUN_FILES,
  type RunMeta,
  type RunStatusRecord,
  readHistory,
  type StoredHistoryRow,
} from "../store/run-store.ts";
import {
  addRange,
  isInRanges,
  newWandbRunId,
  rangeSize,
  readSyncState,
  type WandbSyncState,
  writeSyncState,
} from "./sync-state.ts";
import { WandbClient } from "./wandb-client.ts";

export interface SyncOptions {
  /** Default: `WANDB_API_KEY`. */
  readonly apiKey?: string;
  /** Default: `WANDB_BASE_URL`, else `https://api.wandb.ai`. */
  readonly baseUrl?: string;
  /** Used when the run has no `wandb-sync.json` yet. Default: `WANDB_PROJECT`, else the pipeline name. */
  readonly project?: string;
  readonly entity?: string;
  readonly displayName?: string;
  readonly tags?: readonly string[];
  /** Per-request timeout. Default 10 s. */
  readonly timeoutMs?: number;
  /** Total time budget: no request starts or runs past it. Default none. */
  readonly budgetMs?: number;
  /** History rows per file_stream request. Default 500. */
  readonly batchSize?: number;
  /**
   * Marks the W&B run complete with this exit code. Default: derived from `status.json`
   * (finished → 0, failed/interrupted → 1, running → not marked complete).
   */
  readonly exitCode?: number;
}

export interface SyncReport {
  readonly runId: string;
  readonly entity: string;
  readonly project: string;
  /** Rows uploaded by this call. */
  readonly uploadedRows: number;
  /** Rows W&B has confirmed in total (by this and earlier calls, and the live SDK). */
  readonly confirmedRows: number;
  readonly totalRows: number;
  readonly summaryUploaded: boolean;
  readonly completed: boolean;
  /** True when there was nothing to upload. */
  readonly upToDate: boolean;
}

export interface SyncError {
  readonly kind: "sync-failed";
  readonly message: string;
  /** Rows uploaded (and confirmed) before the failure; the rest stays pending. */
  readonly uploadedRows: number;
  readonly pendingRows: number;
}

/**
 * Uploads to W&B whatever of a run directory W&B has not confirmed (per `wandb-sync.json`):
 * history rows at their own offsets, the summary if it changed, and completion. Idempotent:
 * a second call finds nothing to send and makes no request. Never throws; every request
 * has a timeout, and the first failure stops the sync with what was confirmed saved.
 *
 * @example
 * const result = await syncRun("runs/mnist/20261123-134712-k3f9");
 * if (result.isErr()) console.error(result.error.message);
 */
export function syncRun(
  runDir: string,
  options: SyncOptions = {},
): ResultAsync<SyncReport, SyncError> {
  const apiKey = options.apiKey ?? process.env.WANDB_API_KEY ?? "";
  if (apiKey === "") {
    return errAsync({
      kind: "sync-failed",
      message: "no W&B API key: set WANDB_API_KEY",
      uploadedRows: 0,
      pendingRows: 0,
    });
  }
  return ResultAsync.fromPromise(runSync(runDir, options, apiKey), (error): SyncError => {
    const failure = error as SyncFailure;
    const message = messageOf(error);
    return {
      kind: "sync-failed",
      message: redactString(message, { secrets: [apiKey] }),
      uploadedRows: failure.uploadedRows ?? 0,
      pendingRows: failure.pendingRows ?? 0,
    };
  });
}

const SYNC_LOCK_FILE = "wandb-sync.lock";

type SyncFailure = Error & { uploadedRows?: number; pendingRows?: number };

async function runSync(runDir: string, options: SyncOptions, apiKey: string): Promise<SyncReport> {
  const meta = readJson<RunMeta>(join(runDir, RUN_FILES.meta));
  if (meta === undefined) throw new Error(`not a run directory (no ${RUN_FILES.meta}): ${runDir}`);
  // Two syncs of one run at once would upload the same rows twice.
  const lock = acquirePidLock(join(runDir, SYNC_LOCK_FILE));
  if ("heldBy" in lock)
    throw new Error(`another sync of this run is in progress (pid ${lock.heldBy})`);
  try {
    return await syncLocked(runDir, meta, options, apiKey);
  } finally {
    lock.release();
  }
}

async function syncLocked(
  runDir: string,
  meta: RunMeta,
  options: SyncOptions,
  apiKey: string,
): Promise<SyncReport> {
  const baseUrl = options.baseUrl ?? process.env.WANDB_BASE_URL ?? "https://api.wandb.ai";
  let state: WandbSyncState =
    readSyncState(runDir) ??
    writeSyncState(runDir, {
      version: 1,
      runId: process.env.WANDB_RUN_ID ?? newWandbRunId(),
      sweep: process.env.WANDB_SWEEP_ID,
      project: options.project ?? process.env.WANDB_PROJECT ?? meta.pipeline,
      entity: options.entity,
      displayName: options.displayName ?? meta.runId,
      tags: options.tags,
      mode: "offline",
      upserted: false,
      history: [],
    });
  const save = (patch: Partial<WandbSyncState>) => {
    state = writeSyncState(runDir, { ...state, ...patch });
  };

  const rows = readHistory(runDir);
  const pending = rows.filter((row) => !isInRanges(state.history, row._index));
  const summary = readJson<Record<string, unknown>>(join(runDir, RUN_FILES.summary));
  const summaryHash = summary === undefined ? undefined : sha256(JSON.stringify(summary));
  const exitCode = options.exitCode ?? exitCodeFromStatus(runDir);
  const needsSummary = summaryHash !== undefined && summaryHash !== state.summaryHash;
  const needsComplete = exitCode !== undefined && state.complete === undefined;
  const report = (uploadedRows: number, upToDate: boolean): SyncReport => ({
    runId: state.runId,
    entity: state.entity ?? "",
    project: state.project,
    uploadedRows,
    confirmedRows: rows.filter((row) => isInRanges(state.history, row._index)).length,
    totalRows: rows.length,
    summaryUploaded: needsSummary && state.summaryHash === summaryHash,
    completed: state.complete !== undefined,
    upToDate,
  });
  if (pending.length === 0 && !needsSummary && !needsComplete && state.upserted)
    return report(0, true);

  const client = new WandbClient({
    baseUrl,
    apiKey,
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.budgetMs === undefined ? {} : { deadline: Date.now() + options.budgetMs }),
  });
  let uploaded = 0;
  try {
    const entity = state.entity ?? options.entity ?? (await client.viewer());
    if (state.entity !== entity) save({ entity });
    if (!state.upserted) {
      await client.upsertRun({
        name: state.runId,
        project: state.project,
        entity,
        displayName: state.displayName,
        config: readJson(join(runDir, RUN_FILES.config)) ?? {},
        tags: state.tags,
        sweep: state.sweep,
      });
      save({ upserted: true });
    }
    const startTime = rows[0]?.time ?? Date.now();
    for (const batch of contiguousBatches(pending, options.batchSize ?? 500)) {
      const first = batch[0] as StoredHistoryRow;
      await client.fileStream(entity, state.project, state.runId, {
        files: {
          "wandb-history.jsonl": {
            offset: first._index,
            content: batch.map((row) => JSON.stringify(toWandbRow(row, startTime))),
          },
        },
      });
      uploaded += batch.length;
      save({ history: addRange(state.history, first._index, first._index + batch.length) });
    }
    if (needsSummary && summary !== undefined) {
      await client.fileStream(entity, state.project, state.runId, {
        files: { "wandb-summary.json": { offset: 0, content: [JSON.stringify(summary)] } },
      });
      save({ summaryHash });
    }
    if (needsComplete && exitCode !== undefined) {
      await client.fileStream(entity, state.project, state.runId, {
        complete: true,
        exitcode: exitCode,
      });
      save({ complete: { exitcode: exitCode } });
    }
    save({ lastError: undefined });
    return report(uploaded, false);
  } catch (error) {
    const message = messageOf(error);
    save({ lastError: redactString(message, { secrets: [apiKey] }) });
    const failure: SyncFailure = new Error(message);
    failure.uploadedRows = uploaded;
    failure.pendingRows = rows.length - rangeSize(state.history);
    throw failure;
  }
}

/** A history row as W&B stores it: the scalars plus `_step` (= `_index`) and timestamps. */
export function toWandbRow(row: StoredHistoryRow, startTime: number): Record<string, unknown> {
  return {
    ...row.values,
    ...(row.step === undefined ? {} : { step: row.step }),
    ...(row.epoch === undefined ? {} : { epoch: row.epoch }),
    _step: row._index,
    _timestamp: row.time / 1000,
    _runtime: Math.max(0, (row.time - startTime) / 1000),
  };
}

/** Splits rows into runs of consecutive `_index` values, at most `size` long. */
function contiguousBatches(rows: readonly StoredHistoryRow[], size: number): StoredHistoryRow[][] {
  const batches: StoredHistoryRow[][] = [];
  let current: StoredHistoryRow[] = [];
  for (const row of rows) {
    const last = current.at(-1);
    if (current.length >= size || (last !== undefined && row._index !== last._index + 1)) {
      batches.push(current);
      current = [];
    }
    current.push(row);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function exitCodeFromStatus(runDir: string): number | undefined {
  const status = readJson<RunStatusRecord>(join(runDir, RUN_FILES.status))?.status;
  if (status === "finished") return 0;
  if (status === "failed" || status === "interrupted") return 1;
  return undefined;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
