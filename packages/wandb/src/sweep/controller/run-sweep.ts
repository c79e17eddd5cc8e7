/**
 * The serverless local sweep controller: suggests trials, runs each as its own child process
 * (fresh permanences every time), at most `parallel` at once, watches their `history.jsonl`
 * for hyperband, and records everything in `<sweepDir>/sweep.json` so a killed sweep resumes
 * without re-running finished trials.
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import type { TipiEvent } from "@tipi/core";
import { guardWrite } from "../../store/write-error.ts";
import { SweepConfigError, SweepDirectoryError } from "../config/errors.ts";
import { loadSweepConfig } from "../config/load-config.ts";
import type { SweepConfig } from "../config/types.ts";
import { hyperbandStop } from "../search/hyperband.ts";
import { paramsToSetFlags, stableStringify } from "../search/params.ts";
import { createSearch } from "../search/search.ts";
import { detectGpus, GpuSlots } from "./gpu-slots.ts";
import { bestTrial, formatMetric, formatSweepTable } from "./summary.ts";
import { lockSweepDir } from "./sweep-lock.ts";
import {
  readSweepState,
  type SweepState,
  type TrialRecord,
  writeSweepState,
} from "./sweep-state.ts";
import {
  defaultTrialCommand,
  HistoryReader,
  type RunningTrial,
  readSummaryMetric,
  startTrial,
  type TrialCommand,
  type TrialCommandFactory,
  type TrialExit,
} from "./trial-process.ts";

/**
 * With trials in parallel, each gets its share of the cores as `TIPI_CORES` (unless its
 * command sets it), so a trial's `workers = "auto"` replicas do not oversubscribe the machine
 * (docs/training.md, "Training on every core").
 */
function withCoreShare(command: TrialCommand, parallel: number): TrialCommand {
  if (parallel <= 1 || command.env?.TIPI_CORES !== undefined) return command;
  const share = Math.max(1, Math.floor(availableParallelism() / parallel));
  return { ...command, env: { ...command.env, TIPI_CORES: String(share) } };
}

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

interface Active {
  readonly record: TrialRecord;
  readonly process: RunningTrial;
  readonly history: HistoryReader;
  stopReason?: string;
  terminating?: boolean;
}

const trialId = (index: number) => `trial-${String(index + 1).padStart(4, "0")}`;

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
  const parallel = Math.max(1, Math.floor(opts.parallel ?? 1));
  const pollMs = opts.pollMs ?? 200;
  const emit = (event: TipiEvent) => opts.onEvent?.(event);
  const makeCommand = opts.trialCommand ?? defaultTrialCommand;
  const gpus = new GpuSlots(opts.gpus ?? (await detectGpus(process.env, opts.nvidiaSmi)));

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
  const search = createSearch(config, { seed: state.seed });
  const cap = config.runCap ?? opts.count ?? search.size;
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
  const total = search.size === undefined ? cap : Math.min(cap, search.size);
  const save = () => writeSweepState(sweepDir, state);
  save();
  if (previous) {
    const done = state.trials.filter((t) => t.status !== "pending").length;
    emit({
      type: "log",
      level: "info",
      message: `resuming sweep: ${done} trial(s) done, ${state.trials.length - done} to rerun`,
    });
  }

  if (gpus.gpus.length > 0) {
    emit({
      type: "log",
      level: "info",
      message: `GPUs for trials: ${gpus.gpus.join(", ")} (each trial gets the least busy one as CUDA_VISIBLE_DEVICES)`,
    });
  }

  const metric = config.metric;
  const hyperband = config.earlyTerminate;
  const active = new Map<string, Active>();
  const completed = () =>
    state.trials.filter((t) => t.status !== "pending" && t.status !== "running").length;
  const progress = (done = false) => {
    const best = metric ? bestTrial(state.trials, metric) : undefined;
    emit({
      type: "progress",
      id: "sweep",
      label: "Sweep",
      current: completed(),
      total,
      unit: "trials",
      ...(best?.metric === undefined || !metric
        ? {}
        : { status: `best ${metric.name}=${formatMetric(best.metric)}` }),
      ...(done ? { done: true } : {}),
    });
  };
  const targetReached = () =>
    metric?.target !== undefined &&
    state.trials.some(
      (t) =>
        t.metric !== undefined &&
        (metric.goal === "minimize"
          ? t.metric <= (metric.target as number)
          : t.metric >= (metric.target as number)),
    );

  // Metric histories of every trial that ran in this sweep: W&B's hyperband counts them all.
  const histories = new Map<string, readonly number[]>();
  for (const trial of state.trials) {
    if (trial.status !== "pending" && hyperband && metric) {
      const reader = new HistoryReader(
        join(sweepDir, "trials", trial.id, "history.jsonl"),
        metric.name,
      );
      await reader.poll();
      histories.set(trial.id, reader.values);
    }
  }

  let wake: (() => void) | undefined;
  const wakeUp = () => wake?.();
  opts.signal?.addEventListener("abort", wakeUp, { once: true });

  const nextTrial = (): TrialRecord | undefined => {
    const pending = state.trials.find((t) => t.status === "pending");
    if (pending) return pending;
    if (state.trials.length >= cap || targetReached()) return undefined;
    const index = state.trials.length;
    const params = search.next(index, state.trials);
    if (!params) return undefined;
    const record: TrialRecord = {
      id: trialId(index),
      index,
      params,
      status: "pending",
      iterations: 0,
      attempts: 0,
    };
    state.trials.push(record);
    return record;
  };

  const launch = (record: TrialRecord) => {
    const runDir = join(sweepDir, "trials", record.id);
    // A rerun starts from a clean directory; the interrupted attempt is kept beside it.
    if (record.attempts > 0 && existsSync(runDir))
      renameSync(runDir, `${runDir}.attempt-${record.attempts}`);
    mkdirSync(runDir, { recursive: true });
    const input = {
      trialId: record.id,
      index: record.index,
      pipeline: opts.pipeline,
      params: record.params,
      setFlags: paramsToSetFlags(config.parameters, record.params),
      runDir,
      sweepDir,
    };
    record.status = "running";
    record.attempts += 1;
    record.startedAt = new Date().toISOString();
    record.iterations = 0;
    delete record.metric;
    delete record.endedAt;
    delete record.exitCode;
    delete record.reason;
    const command = makeCommand(input);
    // A trial command that picks its own GPU keeps it.
    const gpu =
      command.env?.CUDA_VISIBLE_DEVICES === undefined ? gpus.acquire(record.id) : undefined;
    const running = startTrial(
      withCoreShare(
        gpu === undefined
          ? command
          : { ...command, env: { ...command.env, CUDA_VISIBLE_DEVICES: gpu } },
        parallel,
      ),
      input,
      join(sweepDir, "trials", `${record.id}.log`),
    );
    const entry: Active = {
      record,
      process: running,
      history: new HistoryReader(join(runDir, "history.jsonl"), metric?.name),
    };
    active.set(record.id, entry);
    histories.set(record.id, entry.history.values);
    running.exited.then((exit) => finish(entry, exit).then(wakeUp, wakeUp));
    save();
    emit({
      type: "log",
      level: "info",
      message: `${record.id} started${gpu === undefined ? "" : ` on GPU ${gpu}`}: ${stableStringify(record.params)}`,
    });
  };

  const finish = async (entry: Active, exit: TrialExit) => {
    const { record } = entry;
    await entry.history.poll();
    record.endedAt = new Date().toISOString();
    record.exitCode = exit.code;
    record.iterations = entry.history.values.length;
    // Ctrl-C reaches the trials too (exit 130 / SIGINT), possibly before our own abort fires.
    const interrupted =
      exit.code === 130 || exit.signal === "SIGINT" || (opts.signal?.aborted && exit.code !== 0);
    // …but a trial that keeps exiting 130 on its own must not loop forever.
    if (interrupted && !entry.stopReason && (opts.signal?.aborted || record.attempts < 3)) {
      record.status = "pending";
      record.reason = "interrupted; runs again on resume";
    } else {
      const summary = metric
        ? await readSummaryMetric(join(sweepDir, "trials", record.id), metric.name)
        : undefined;
      const last = entry.history.values.at(-1);
      const value = summary ?? last;
      if (value !== undefined) record.metric = value;
      if (entry.stopReason) {
        record.status = "stopped";
        record.reason = entry.stopReason;
      } else if (exit.code === 0) {
        record.status = "finished";
      } else {
        record.status = "failed";
        const why =
          exit.spawnError ?? (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`);
        const tail = exit.stderrTail.trim().split("\n").slice(-3).join(" | ");
        record.reason = tail ? `${why}: ${tail}` : why;
      }
    }
    // Only now may the main loop see a free slot (or an empty sweep) and move on.
    gpus.release(record.id);
    active.delete(record.id);
    save();
    const level = record.status === "failed" ? "warn" : "info";
    emit({
      type: "log",
      level,
      message: `${record.id} ${record.status}${record.reason ? ` (${record.reason})` : ""}`,
    });
    progress();
  };

  const terminate = (entry: Active) => {
    if (entry.terminating) return;
    entry.terminating = true;
    entry.process.child.kill("SIGTERM");
    const timer = setTimeout(() => entry.process.child.kill("SIGKILL"), opts.killGraceMs ?? 5000);
    entry.process.exited.finally(() => clearTimeout(timer));
  };
  const stop = (entry: Active, reason: string) => {
    if (entry.stopReason) return;
    entry.stopReason = reason;
    terminate(entry);
  };

  const checkHyperband = async () => {
    if (!hyperband || !metric) return;
    let changed = false;
    for (const entry of active.values()) changed = (await entry.history.poll()) > 0 || changed;
    if (!changed) return;
    const decision = hyperbandStop(
      state.trials
        .filter((t) => t.status !== "pending")
        .map((t) => ({
          id: t.id,
          running: active.has(t.id) && !active.get(t.id)?.stopReason,
          history: histories.get(t.id) ?? [],
        })),
      { bands: hyperband.bands, eta: hyperband.eta, strict: hyperband.strict, goal: metric.goal },
    );
    for (const id of decision.stop) {
      const entry = active.get(id);
      const band = decision.bands.filter((b) => b <= (entry?.history.values.length ?? 0)).at(-1);
      if (entry) stop(entry, `hyperband: below the top 1/${hyperband.eta} at iteration ${band}`);
    }
  };
  progress();
  for (;;) {
    if (!opts.signal?.aborted) {
      while (active.size < parallel) {
        const record = nextTrial();
        if (!record) break;
        launch(record);
      }
    }
    if (active.size === 0) break;
    if (opts.signal?.aborted) for (const entry of active.values()) terminate(entry);
    await new Promise<void>((resolveWait) => {
      const timer = setTimeout(resolveWait, pollMs);
      wake = () => {
        clearTimeout(timer);
        resolveWait();
      };
    });
    wake = undefined;
    await checkHyperband();
  }
  opts.signal?.removeEventListener("abort", wakeUp);

  state.status = opts.signal?.aborted ? "interrupted" : "finished";
  save();
  progress(state.status === "finished");
  const best = metric ? bestTrial(state.trials, metric) : undefined;
  return { sweepDir, state, ...(best ? { best } : {}), table: formatSweepTable(state, config) };
}
