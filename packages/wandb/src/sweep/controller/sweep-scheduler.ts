/**
 * The running part of a local sweep: starts trials while slots are free, records each one's
 * end, stops those hyperband drops, and on abort terminates the rest (they run again on resume).
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { TipiEvent } from "@tipi/core";
import type { SweepConfig } from "../config/types.ts";
import { hyperbandStop } from "../search/hyperband.ts";
import { paramsToSetFlags, stableStringify } from "../search/params.ts";
import type { Search } from "../search/search.ts";
import type { GpuSlots } from "./gpu-slots.ts";
import { bestTrial, formatMetric } from "./summary.ts";
import type { SweepState, TrialRecord } from "./sweep-state.ts";
import {
  HistoryReader,
  type RunningTrial,
  readSummaryMetric,
  startTrial,
  type TrialCommand,
  type TrialCommandFactory,
  type TrialCommandInput,
  type TrialExit,
} from "./trial-process.ts";

/** What the scheduler works with; `state` is changed in place and saved with `save`. */
export interface SchedulerContext {
  readonly pipeline: string;
  readonly config: SweepConfig;
  readonly sweepDir: string;
  readonly state: SweepState;
  readonly search: Search;
  /** Most trials. */
  readonly cap: number;
  /** Trials the progress bar counts to. */
  readonly total: number;
  readonly parallel: number;
  readonly gpus: GpuSlots;
  /** Metric histories of every trial that ran in this sweep: W&B's hyperband counts them all. */
  readonly histories: Map<string, readonly number[]>;
  readonly makeCommand: TrialCommandFactory;
  readonly save: () => void;
  readonly emit: (event: TipiEvent) => void;
  readonly signal?: AbortSignal;
  readonly pollMs: number;
  readonly killGraceMs: number;
}

interface Active {
  readonly record: TrialRecord;
  readonly process: RunningTrial;
  readonly history: HistoryReader;
  stopReason?: string;
  terminating?: boolean;
}

const trialId = (index: number) => `trial-${String(index + 1).padStart(4, "0")}`;

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

export class SweepScheduler {
  readonly #ctx: SchedulerContext;
  readonly #active = new Map<string, Active>();
  #wake: (() => void) | undefined;
  readonly #wakeUp = () => this.#wake?.();

  constructor(ctx: SchedulerContext) {
    this.#ctx = ctx;
  }

  /** Runs trials until none is left to start and none runs (or, aborted, all have ended). */
  async run(): Promise<void> {
    const { signal, parallel, pollMs } = this.#ctx;
    signal?.addEventListener("abort", this.#wakeUp, { once: true });
    this.progress();
    for (;;) {
      if (!signal?.aborted) {
        while (this.#active.size < parallel) {
          const record = this.#nextTrial();
          if (!record) break;
          this.#launch(record);
        }
      }
      if (this.#active.size === 0) break;
      if (signal?.aborted) for (const entry of this.#active.values()) this.#terminate(entry);
      await new Promise<void>((resolveWait) => {
        const timer = setTimeout(resolveWait, pollMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolveWait();
        };
      });
      this.#wake = undefined;
      await this.#checkHyperband();
    }
    signal?.removeEventListener("abort", this.#wakeUp);
  }

  /** Emits the sweep's progress: trials ended of `total`, and the best metric so far. */
  progress(done = false): void {
    const { state, config, total } = this.#ctx;
    const metric = config.metric;
    const best = metric ? bestTrial(state.trials, metric) : undefined;
    const completed = state.trials.filter(
      (t) => t.status !== "pending" && t.status !== "running",
    ).length;
    this.#ctx.emit({
      type: "progress",
      id: "sweep",
      label: "Sweep",
      current: completed,
      total,
      unit: "trials",
      ...(best?.metric === undefined || !metric
        ? {}
        : { status: `best ${metric.name}=${formatMetric(best.metric)}` }),
      ...(done ? { done: true } : {}),
    });
  }

  #targetReached(): boolean {
    const { state, config } = this.#ctx;
    const metric = config.metric;
    return (
      metric?.target !== undefined &&
      state.trials.some(
        (t) =>
          t.metric !== undefined &&
          (metric.goal === "minimize"
            ? t.metric <= (metric.target as number)
            : t.metric >= (metric.target as number)),
      )
    );
  }

  /** A pending trial (interrupted before), else a new suggestion while the cap allows. */
  #nextTrial(): TrialRecord | undefined {
    const { state, cap, search } = this.#ctx;
    const pending = state.trials.find((t) => t.status === "pending");
    if (pending) return pending;
    if (state.trials.length >= cap || this.#targetReached()) return undefined;
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
  }

  #launch(record: TrialRecord): void {
    const { sweepDir, gpus, parallel, config } = this.#ctx;
    const input = this.#prepareAttempt(record);
    const command = this.#ctx.makeCommand(input);
    // A trial command that picks its own GPU keeps it.
    const gpu =
      command.env?.CUDA_VISIBLE_DEVICES === undefined ? gpus.acquire(record.id) : undefined;
    const visible = gpu ?? command.env?.CUDA_VISIBLE_DEVICES;
    if (visible === undefined) delete record.gpu;
    else record.gpu = visible;
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
      history: new HistoryReader(join(input.runDir, "history.jsonl"), config.metric?.name),
    };
    this.#active.set(record.id, entry);
    this.#ctx.histories.set(record.id, entry.history.values);
    running.exited.then((exit) => this.#finish(entry, exit).then(this.#wakeUp, this.#wakeUp));
    this.#ctx.save();
    this.#ctx.emit({
      type: "log",
      level: "info",
      message: `${record.id} started${gpu === undefined ? "" : ` on GPU ${gpu}`}: ${stableStringify(record.params)}`,
    });
  }

  /** A clean run directory for the trial's next attempt, and the record reset to running. */
  #prepareAttempt(record: TrialRecord): TrialCommandInput {
    const { sweepDir, pipeline, config } = this.#ctx;
    const runDir = join(sweepDir, "trials", record.id);
    // A rerun starts from a clean directory; the interrupted attempt is kept beside it.
    if (record.attempts > 0 && existsSync(runDir))
      renameSync(runDir, `${runDir}.attempt-${record.attempts}`);
    mkdirSync(runDir, { recursive: true });
    const input = {
      trialId: record.id,
      index: record.index,
      pipeline,
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
    return input;
  }

  async #finish(entry: Active, exit: TrialExit): Promise<void> {
    const { record } = entry;
    await entry.history.poll();
    await this.#recordExit(entry, exit);
    // Only now may the main loop see a free slot (or an empty sweep) and move on.
    this.#ctx.gpus.release(record.id);
    this.#active.delete(record.id);
    this.#ctx.save();
    const level = record.status === "failed" ? "warn" : "info";
    this.#ctx.emit({
      type: "log",
      level,
      message: `${record.id} ${record.status}${record.reason ? ` (${record.reason})` : ""}`,
    });
    this.progress();
  }

  /** The trial's end in its record: pending again (interrupted), stopped, finished or failed. */
  async #recordExit(entry: Active, exit: TrialExit): Promise<void> {
    const { record } = entry;
    const { signal, config, sweepDir } = this.#ctx;
    record.endedAt = new Date().toISOString();
    record.exitCode = exit.code;
    record.iterations = entry.history.values.length;
    // Ctrl-C reaches the trials too (exit 130 / SIGINT), possibly before our own abort fires.
    const interrupted =
      exit.code === 130 || exit.signal === "SIGINT" || (signal?.aborted && exit.code !== 0);
    // …but a trial that keeps exiting 130 on its own must not loop forever.
    if (interrupted && !entry.stopReason && (signal?.aborted || record.attempts < 3)) {
      record.status = "pending";
      record.reason = "interrupted; runs again on resume";
      return;
    }
    const summary = config.metric
      ? await readSummaryMetric(join(sweepDir, "trials", record.id), config.metric.name)
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

  #terminate(entry: Active): void {
    if (entry.terminating) return;
    entry.terminating = true;
    entry.process.child.kill("SIGTERM");
    const timer = setTimeout(() => entry.process.child.kill("SIGKILL"), this.#ctx.killGraceMs);
    entry.process.exited.finally(() => clearTimeout(timer));
  }

  #stop(entry: Active, reason: string): void {
    if (entry.stopReason) return;
    entry.stopReason = reason;
    this.#terminate(entry);
  }

  /** Reads the running trials' new metric values and stops those hyperband drops. */
  async #checkHyperband(): Promise<void> {
    const { config, state, histories } = this.#ctx;
    const hyperband = config.earlyTerminate;
    const metric = config.metric;
    if (!hyperband || !metric) return;
    let changed = false;
    for (const entry of this.#active.values())
      changed = (await entry.history.poll()) > 0 || changed;
    if (!changed) return;
    const decision = hyperbandStop(
      state.trials
        .filter((t) => t.status !== "pending")
        .map((t) => ({
          id: t.id,
          running: this.#active.has(t.id) && !this.#active.get(t.id)?.stopReason,
          history: histories.get(t.id) ?? [],
        })),
      { bands: hyperband.bands, eta: hyperband.eta, strict: hyperband.strict, goal: metric.goal },
    );
    for (const id of decision.stop) {
      const entry = this.#active.get(id);
      const band = decision.bands.filter((b) => b <= (entry?.history.values.length ?? 0)).at(-1);
      if (entry)
        this.#stop(entry, `hyperband: below the top 1/${hyperband.eta} at iteration ${band}`);
    }
  }
}
