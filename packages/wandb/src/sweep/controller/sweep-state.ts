/** `sweep.json`: everything needed to resume a sweep, rewritten atomically after each change. */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { redactSecrets } from "../../store/redact.ts";
import { guardWrite } from "../../store/write-error.ts";
import type { SweepMethod, SweepMetric } from "../config/types.ts";
import type { TrialParams } from "../search/params.ts";

export type TrialStatus = "pending" | "running" | "finished" | "failed" | "stopped";

export interface TrialRecord {
  /** `trial-0001`, …: also the name of its run directory under `trials/`. */
  readonly id: string;
  readonly index: number;
  readonly params: TrialParams;
  status: TrialStatus;
  /** Final metric (summary, else last history value); for a stopped trial, its last value. */
  metric?: number;
  /** History rows that carried the metric. */
  iterations: number;
  startedAt?: string;
  endedAt?: string;
  exitCode?: number | null;
  /** Why it failed or was stopped. */
  reason?: string;
  /** How many times it was started (an interrupted trial is started again on resume). */
  attempts: number;
  /**
   * The `CUDA_VISIBLE_DEVICES` its latest attempt started with: the GPU the sweep gave it, or
   * the one its trial command set; absent when it got none.
   */
  gpu?: string;
}

export interface SweepState {
  readonly version: 1;
  readonly pipeline: string;
  readonly seed: number;
  readonly method: SweepMethod;
  readonly metric?: SweepMetric;
  /** The sweep config as written; a resume with a different one is refused. */
  readonly config: Readonly<Record<string, unknown>>;
  status: "running" | "finished" | "interrupted";
  readonly createdAt: string;
  updatedAt: string;
  trials: TrialRecord[];
}

const sweepStatePath = (sweepDir: string): string => join(sweepDir, "sweep.json");

/** Reads `sweep.json`, or undefined when the sweep is new. */
export function readSweepState(sweepDir: string): SweepState | undefined {
  let text: string;
  try {
    text = readFileSync(sweepStatePath(sweepDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const state = JSON.parse(text) as SweepState;
  if (state.version !== 1)
    throw new Error(`${sweepStatePath(sweepDir)}: unsupported version ${state.version}`);
  return state;
}

/**
 * Writes `sweep.json` via a temporary file, fsync and rename: a kill leaves the old or the new file.
 * Secrets (the W&B key in a trial's error) are scrubbed; params are kept as they are.
 */
export function writeSweepState(sweepDir: string, state: SweepState): void {
  state.updatedAt = new Date().toISOString();
  const target = sweepStatePath(sweepDir);
  const tmp = `${target}.${process.pid}.tmp`;
  const text = `${JSON.stringify(redactSecrets(state, { byKey: false }), null, 2)}\n`;
  // A full disk or a read-only sweep directory is reported as such (the file, the reason).
  guardWrite("write", target, () => {
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  });
}
