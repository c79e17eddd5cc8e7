import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { readJson, writeJsonAtomic } from "../store/jsonl.ts";

export const SYNC_STATE_FILE = "wandb-sync.json";

/** A half-open range `[from, to)` of history row indices. */
export type IndexRange = readonly [number, number];

/**
 * `wandb-sync.json`: what W&B confirmed for this run. Only HTTP 200 answers to requests whose
 * content we know count, so everything else is uploaded again by {@link syncRun}.
 */
export interface WandbSyncState {
  readonly version: 1;
  /** The W&B run id (its `name` in the API), fixed before the first request. */
  readonly runId: string;
  readonly project: string;
  readonly entity?: string;
  readonly displayName?: string;
  readonly tags?: readonly string[];
  /** The W&B sweep this run belongs to (`WANDB_SWEEP_ID` under a sweep agent). */
  readonly sweep?: string;
  readonly mode: "online" | "offline";
  /** True once the sync's UpsertBucket (config, tags, display name, sweep) was accepted. */
  readonly upserted: boolean;
  /** History rows (by `_index`, which is also the file_stream offset) W&B acknowledged. */
  readonly history: readonly IndexRange[];
  /** sha256 of the `summary.json` W&B acknowledged. */
  readonly summaryHash?: string;
  /** Set once `{ complete: true }` was acknowledged. */
  readonly complete?: { readonly exitcode: number };
  readonly lastError?: string;
  readonly updatedAt: string;
}

export function readSyncState(runDir: string): WandbSyncState | undefined {
  return readJson<WandbSyncState>(join(runDir, SYNC_STATE_FILE));
}

export function writeSyncState(
  runDir: string,
  state: Omit<WandbSyncState, "updatedAt">,
): WandbSyncState {
  const stamped: WandbSyncState = { ...state, updatedAt: new Date().toISOString() };
  writeJsonAtomic(join(runDir, SYNC_STATE_FILE), stamped);
  return stamped;
}

/** A W&B-style run id: 8 characters of [a-z0-9]. */
export function newWandbRunId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(8), (byte) => alphabet[byte % alphabet.length]).join("");
}

/** Adds `[from, to)` to sorted, disjoint ranges, merging neighbours. */
export function addRange(ranges: readonly IndexRange[], from: number, to: number): IndexRange[] {
  if (to <= from) return [...ranges];
  const all = [...ranges, [from, to] as IndexRange].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of all) {
    const last = merged.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

export function isInRanges(ranges: readonly IndexRange[], index: number): boolean {
  return ranges.some(([from, to]) => index >= from && index < to);
}

/** How many indices the ranges cover. */
export function rangeSize(ranges: readonly IndexRange[]): number {
  return ranges.reduce((sum, [from, to]) => sum + (to - from), 0);
}
