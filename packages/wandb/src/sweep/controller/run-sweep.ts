/**
 * The serverless local sweep controller: suggests trials, runs each as its own child process
 * (fresh permanences every time), at most `parallel` at once, watches their `history.jsonl`
 * for hyperband, and records everything in `<sweepDir>/sweep.json` so a killed sweep resumes
 * without re-running finished trials.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TipiEvent } from "@tipi/core";
import { guardWrite } from "../../store/write-error.ts";
import { SweepConfigError, SweepDirectoryError } from "../config/errors.ts";
import { loadSweepConfig } from "../config/load-config.ts";
import type { SweepConfig } from "../config/types.ts";
import { stableStringify } from "../search/params.ts";
import { createSearch } from "../search/search.ts";
import { detectGpus, GpuSlots } from "./gpu-slots.ts";
import { bestTrial, formatSweepTable } from "./summary.ts";
import { lockSweepDir } from "./sweep-lock.ts";
import { SweepScheduler } from "./sweep-scheduler.ts";
import {
  readSweepState,
  type SweepState,
  type TrialRecord,
  writeSweepState,
} from "./sweep-state.ts";
import { defaultTrialCommand, HistoryReader, type TrialCommandFactory } from "./trial-process.ts";

export interface RunSweepOptions {
  /** The pipeline each trial runs (`tipi run <pipeline>`). */
  readonly pipeline: string;
  /** A loaded config, or the path of a sweep file. */
  readonly config: SweepConfig | string;
  readonly sweepDir: string;
  /** Trials running at once (default 1). */
  readonly parallel?: number;
  /** Seed of random and bayes suggestions (default 0); a resumed sweep keeps its first seed. */
  readonly seed?: number;
  /** Most trials when the config has no `run_cap` (required then for random and bayes). */
  readonly count?: number;
  readonly trialCommand?: TrialCommandFactory;
  /** Aborting stops the running trials; they run again when the sweep resumes. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TipiEvent) => void;
  /** How often running trials' histories are read (default 200 ms). */
  readonly pollMs?: number;
  /** How long a trial may take to exit after SIGTERM before SIGKILL (default 5 s). */
  readonly killGraceMs?: number;
  /**
   * GPUs to spread trials over, one `CUDA_VISIBLE_DEVICES` value each (an index or a UUID): each
   * starting trial gets the one with the fewest running trials. Default: the entries of this
   * process's `CUDA_VISIBLE_DEVICES` when set, else every GPU nvidia-smi lists; `[]`: none.
   */
  readonly gpus?: readonly string[];
  /** The nvidia-smi binary for that default (default `nvidia-smi` on the PATH). */
  readonly nvidiaSmi?: string;
}

export interface SweepOutcome {
  readonly sweepDir: string;
  readonly state: SweepState;
  /** The best finished or stopped trial by the metric, when there is a metric. */
  readonly best?: TrialRecord;
  /** A plain-text table of trials, params, metric and status, and the best config. */
  readonly table: string;
}

/** Throws if `state` was written for a different sweep config. */
function checkSameSweep(
  state: SweepState,
  config: SweepConfig,
  pipeline: string,
  sweepDir: string,
): void {
  const same =
    state.pipeline === pipeline &&
    state.method === config.method &&
    stableStringify(state.config.parameters) === stableStringify(config.raw.parameters);
  if (!same) {
    throw new SweepDirectoryError(
      `${sweepDir} holds a different sweep (pipeline ${state.pipeline}, method ${state.method}); use another sweep directory`,
    );
  }
}

/**
 * Runs (or resumes) a sweep to its end: `run_cap`, `count`, grid exhaustion or `metric.target`.
 * Trial failures do not fail the sweep; they are recorded as `failed`.
 * @example
 * const { table, best } = await runSweep({ pipeline: "examples/fashion-mnist", config: "sweep.yaml",
 *   sweepDir: "runs/sweeps/lr", parallel: 2, seed: 1 });
 */
export async function runSweep(opts: RunSweepOptions): Promise<SweepOutcome> {
  const config = typeof opts.config === "string" ? await loadSweepConfig(opts.config) : opts.config;
  const sweepDir = resolve(opts.sweepDir);
  const trials = join(sweepDir, "trials");
  guardWrite("create", trials, () => mkdirSync(trials, { recursive: true }));
  const unlock = lockSweepDir(sweepDir);
  try {
    return await runLocked(opts, config, sweepDir);
  } finally {
    unlock();
  }
}

async function runLocked(
  opts: RunSweepOptions,
  config: SweepConfig,
  sweepDir: string,
): Promise<SweepOutcome> {
  const emit = (event: TipiEvent) => opts.onEvent?.(event);
  const gpus = new GpuSlots(opts.gpus ?? (await detectGpus(process.env, opts.nvidiaSmi)));
  const { state, resumed } = openState(opts, config, sweepDir);
  const search = createSearch(config, { seed: state.seed });
  const cap = trialCap(config, opts.count, search.size);
  const save = () => writeSweepState(sweepDir, state);
  save();
  if (resumed) announceResume(state, emit);
  if (gpus.gpus.length > 0) {
    emit({
      type: "log",
      level: "info",
      message: `GPUs for trials: ${gpus.gpus.join(", ")} (each trial gets the least busy one as CUDA_VISIBLE_DEVICES)`,
    });
  }
  const scheduler = new SweepScheduler({
    pipeline: opts.pipeline,
    config,
    sweepDir,
    state,
    search,
    cap,
    total: search.size === undefined ? cap : Math.min(cap, search.size),
    parallel: Math.max(1, Math.floor(opts.parallel ?? 1)),
    gpus,
    histories: await pastHistories(state, config, sweepDir),
    makeCommand: opts.trialCommand ?? defaultTrialCommand,
    save,
    emit,
    ...(opts.signal ? { signal: opts.signal } : {}),
    pollMs: opts.pollMs ?? 200,
    killGraceMs: opts.killGraceMs ?? 5000,
  });
  await scheduler.run();

  state.status = opts.signal?.aborted ? "interrupted" : "finished";
  save();
  scheduler.progress(state.status === "finished");
  const best = config.metric ? bestTrial(state.trials, config.metric) : undefined;
  return { sweepDir, state, ...(best ? { best } : {}), table: formatSweepTable(state, config) };
}

/**
 * The sweep's state: the directory's own (refused if written for another sweep; trials it
 * left running run again) or a new one. Not saved yet.
 */
function openState(
  opts: RunSweepOptions,
  config: SweepConfig,
  sweepDir: string,
): { state: SweepState; resumed: boolean } {
  const previous = readSweepState(sweepDir);
  if (previous) checkSameSweep(previous, config, opts.pipeline, sweepDir);
  const state: SweepState = previous ?? {
    version: 1,
    pipeline: opts.pipeline,
    seed: opts.seed ?? 0,
    method: config.method,
    ...(config.metric ? { metric: config.metric } : {}),
    config: config.raw,
    status: "running",
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    trials: [],
  };
  state.status = "running";
  for (const trial of state.trials) {
    // Interrupted mid-run: its params are recorded, so it runs again exactly as suggested.
    if (trial.status === "running") trial.status = "pending";
  }
  return { state, resumed: previous !== undefined };
}

/** Most trials: `run_cap`, else `count`, else the grid's size; a sweep with none never ends. */
function trialCap(config: SweepConfig, count: number | undefined, size: number | undefined) {
  const cap = config.runCap ?? count ?? size;
  if (cap === undefined) {
    throw new SweepConfigError(
      [
        {
          path: ["run_cap"],
          message: `a ${config.method} sweep never ends on its own: it needs run_cap`,
          hint: "or pass a count",
        },
      ],
      config.file,
    );
  }
  return cap;
}

function announceResume(state: SweepState, emit: (event: TipiEvent) => void): void {
  const done = state.trials.filter((t) => t.status !== "pending").length;
  emit({
    type: "log",
    level: "info",
    message: `resuming sweep: ${done} trial(s) done, ${state.trials.length - done} to rerun`,
  });
}

/** Metric histories of the trials a resumed sweep ran already (hyperband counts them all). */
async function pastHistories(
  state: SweepState,
  config: SweepConfig,
  sweepDir: string,
): Promise<Map<string, readonly number[]>> {
  const histories = new Map<string, readonly number[]>();
  for (const trial of state.trials) {
    if (trial.status !== "pending" && config.earlyTerminate && config.metric) {
      const reader = new HistoryReader(
        join(sweepDir, "trials", trial.id, "history.jsonl"),
        config.metric.name,
      );
      await reader.poll();
      histories.set(trial.id, reader.values);
    }
  }
  return histories;
}
