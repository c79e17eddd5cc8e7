/**
 * `tipi agent`: a W&B sweep agent. It registers with the sweep's controller, heartbeats the
 * state of its runs, and runs each suggested trial as its own `tipi run` process with the
 * suggested parameters; trials stream their metrics through the run store and W&B logging,
 * and whatever W&B did not confirm is synced by the agent (or later by `tipi sync`).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { WandbRequestError } from "../api/wandb-request.ts";
import { sleep, withRetry } from "../api/with-retry.ts";
import { startTrial, type TrialExit } from "../sweep/controller/trial-process.ts";
import { parseYaml11 } from "../sweep/source/yaml11.ts";
import { syncRun } from "../sync/sync-run.ts";
import { readSyncState, writeSyncState } from "../sync/sync-state.ts";
import { WandbClient } from "../sync/wandb-client.ts";
import { AgentApi, type AgentCommand } from "./agent-api.ts";
import { type AgentRunArgs, pythonJson, type TipiRunLine, tipiRunLine } from "./command-line.ts";
import { type EarlyFailureRules, EarlyFailureWatch, earlyFailureRules } from "./early-failures.ts";
import { parseSweepPath, type SweepPath } from "./sweep-upload.ts";

/** What a trial process is started with. */
export interface AgentLaunch {
  readonly command: string;
  readonly args: readonly string[];
}

/** Builds the process for one trial from its `tipi run` line (`run`, pipeline, args…). */
export type AgentLauncher = (argv: readonly string[]) => AgentLaunch;

export interface RunAgentOptions {
  /** `entity/project/sweep-id` (or `project/sweep-id`, `sweep-id` with WANDB_ENTITY/WANDB_PROJECT). */
  readonly sweep: string | SweepPath;
  /** Default `WANDB_API_KEY`. */
  readonly apiKey?: string;
  /** Default `WANDB_BASE_URL`, else `https://api.wandb.ai`. */
  readonly baseUrl?: string;
  /** Most trials this agent runs. Default: until the controller says exit. */
  readonly count?: number;
  /** The pipeline to run, over the sweep's `program`. */
  readonly pipeline?: string;
  /** Trial run directories go to `<runsDir>/sweeps/wandb-<sweep-id>/<run-id>`. */
  readonly runsDir: string;
  /** How to start `tipi run`; default `tipi` from PATH (`TIPI_BIN` overrides). */
  readonly launch?: AgentLauncher;
  /** Refuses a run's parameters before it starts (a message), e.g. names that collide with options. */
  readonly checkArgs?: (args: AgentRunArgs) => string | undefined;
  /** Heartbeat interval. Default 5 s, as the wandb agent. */
  readonly heartbeatMs?: number;
  /** SIGKILL this long after a stop's SIGTERM. Default 30 s, as the wandb agent. */
  readonly killGraceMs?: number;
  /** Each request's timeout. Default 20 s. */
  readonly requestTimeoutMs?: number;
  /** Longest wait between retries while W&B is unreachable. Default 60 s. */
  readonly maxBackoffMs?: number;
  /**
   * When trials keep failing, stop as the wandb agent does (reason `flapping` or `failing`).
   * Default: `earlyFailureRules()`, from `WANDB_AGENT_DISABLE_FLAPPING` and
   * `WANDB_AGENT_MAX_INITIAL_FAILURES`.
   */
  readonly earlyFailures?: Partial<EarlyFailureRules>;
  readonly signal?: AbortSignal;
  /** A line of progress for people. */
  readonly log?: (message: string) => void;
  readonly host?: string;
}

export type AgentTrialStatus = "running" | "finished" | "failed" | "stopped" | "interrupted";

export interface AgentTrial {
  /** The W&B run id the controller chose. */
  readonly runId: string;
  readonly args: AgentRunArgs;
  readonly runDir: string;
  readonly argv: readonly string[];
  status: AgentTrialStatus;
  exitCode?: number | null;
  reason?: string;
  /** W&B confirmed everything of the run directory (history, summary, completion). */
  synced: boolean;
}

export interface AgentOutcome {
  readonly agentId?: string;
  /** `entity/project/sweep-id`. */
  readonly sweep: string;
  readonly sweepDir: string;
  readonly trials: readonly AgentTrial[];
  /**
   * Why the agent stopped: `flapping` and `failing` are the wandb agent's rules for trials that
   * keep failing (see early-failures.ts); `message` then says which trials and how to go on.
   */
  readonly reason: "exit" | "count" | "sweep-gone" | "interrupted" | "flapping" | "failing";
  /** Why the agent gave up, for `flapping` and `failing` (not passed to `log`). */
  readonly message?: string;
}

/** A problem that ends the agent before any trial ran (bad sweep path, unknown sweep, auth). */
export class AgentError extends Error {
  override readonly name = "AgentError";
}

interface Active {
  readonly trial: AgentTrial;
  readonly child: ReturnType<typeof startTrial>["child"];
  stopAt?: number;
  /** Why it was sent SIGTERM: the controller's stop or exit, or the agent's own interrupt. */
  stopReason?: "stop" | "exit" | "interrupt";
  killTimer?: NodeJS.Timeout;
}

const defaultLaunch: AgentLauncher = (argv) => ({
  command: process.env.TIPI_BIN ?? "tipi",
  args: argv,
});

/**
 * Runs a W&B sweep agent until the controller sends `exit`, `count` trials ran, the sweep is
 * deleted, or `signal` aborts (running trials get SIGTERM and are reported as interrupted).
 * Network failures and HTTP 5xx are retried with exponential backoff; a finished trial's
 * metrics stay in its run directory until W&B confirms them.
 * @example
 * const outcome = await runAgent({ sweep: "me/mnist/abc123", runsDir: "runs", count: 4 });
 * console.log(outcome.trials.map((t) => `${t.runId} ${t.status}`));
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentOutcome> {
  const log = options.log ?? (() => {});
  const apiKey = options.apiKey ?? process.env.WANDB_API_KEY ?? "";
  if (apiKey === "")
    throw new AgentError("no W&B API key: set WANDB_API_KEY (tipi agent never prompts)");
  const baseUrl = options.baseUrl ?? process.env.WANDB_BASE_URL ?? "https://api.wandb.ai";
  let earlyFailures: EarlyFailureWatch;
  try {
    earlyFailures = new EarlyFailureWatch({ ...earlyFailureRules(), ...options.earlyFailures });
  } catch (error) {
    throw new AgentError((error as Error).message);
  }
  const path = typeof options.sweep === "string" ? parseSweepPath(options.sweep) : options.sweep;
  const heartbeatMs = options.heartbeatMs ?? 5000;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const killGraceMs = options.killGraceMs ?? 30_000;
  const signal = options.signal;
  const api = new AgentApi({
    baseUrl,
    apiKey,
    ...(options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs }),
    ...(signal ? { signal } : {}),
  });
  const retry = <T>(what: string, fn: () => Promise<T>) =>
    withRetry(fn, {
      initialMs: Math.min(1000, heartbeatMs),
      maxMs: maxBackoffMs,
      ...(signal ? { signal } : {}),
      onRetry: (error, wait) =>
        log(`W&B did not answer ${what} (${error.message}); retrying in ${seconds(wait)}`),
    }).catch((error: unknown) => {
      if (error instanceof WandbRequestError && !error.retryable)
        throw new AgentError(error.message);
      throw error;
    });

  const entity =
    path.entity ?? process.env.WANDB_ENTITY ?? (await retry("Viewer", () => api.viewer()));
  const project = path.project ?? process.env.WANDB_PROJECT;
  if (project === undefined || project === "")
    throw new AgentError(
      `which project is sweep ${path.sweep} in? write entity/project/${path.sweep} or set WANDB_PROJECT`,
    );
  const sweepName = `${entity}/${project}/${path.sweep}`;
  const sweep = await retry("SweepWithRuns", () => api.sweep(entity, project, path.sweep));
  if (sweep === undefined) throw new AgentError(`sweep ${sweepName} not found`);
  const sweepConfig = readSweepYaml(sweep.config);
  const sweepDir = resolve(options.runsDir, "sweeps", `wandb-${path.sweep}`);
  mkdirSync(join(sweepDir, "params"), { recursive: true });
  const agentId = await retry("CreateAgent", () =>
    api.createAgent(options.host ?? hostname(), entity, project, path.sweep),
  );
  log(`agent ${agentId} joined sweep ${sweepName}`);

  const trials: AgentTrial[] = [];
  let reason: AgentOutcome["reason"] | undefined;
  let message: string | undefined;
  const active = new Map<string, Active>();
  const unsynced = new Set<AgentTrial>();
  let nextSyncAt = 0;
  let syncFailures = 0;
  let wake: (() => void) | undefined;
  const wakeUp = () => wake?.();
  signal?.addEventListener("abort", wakeUp, { once: true });

  const logOf = (runId: string) => join(sweepDir, `${runId}.log`);

  const launch = (command: AgentCommand) => {
    const runId = command.run_id;
    if (typeof runId !== "string" || active.has(runId)) return;
    const args = command.args ?? {};
    const runDir = join(sweepDir, runId);
    const trial: AgentTrial = { runId, args, runDir, argv: [], status: "running", synced: false };
    trials.push(trial);
    const refused = options.checkArgs?.(args);
    let line: TipiRunLine | undefined;
    try {
      if (refused) throw new Error(refused);
      const jsonFile = join(sweepDir, "params", `config-${runId}.json`);
      line = tipiRunLine(sweepConfig.command, {
        args,
        ...((command.program ?? sweepConfig.program)
          ? { program: String(command.program ?? sweepConfig.program) }
          : {}),
        ...(options.pipeline ? { pipeline: options.pipeline } : {}),
        argsJsonFile: jsonFile,
      });
      writeFileSync(jsonFile, pythonJson(flatArgs(args)));
    } catch (error) {
      trial.status = "failed";
      trial.reason = (error as Error).message;
      log(`run ${runId} not started: ${trial.reason}`);
      unsynced.add(trial);
      noteEnd(trial, `run ${runId}, not started (${trial.reason})`);
      return;
    }
    const resuming = command.type === "resume" && existsSync(join(runDir, "meta.json"));
    mkdirSync(runDir, { recursive: true });
    if (readSyncState(runDir) === undefined) {
      // The trial's WandBLogger (if any) joins this run, in the sweep's project.
      writeSyncState(runDir, {
        version: 1,
        runId,
        sweep: path.sweep,
        project,
        entity,
        mode: "online",
        upserted: false,
        history: [],
      });
    }
    const paramFile = join(sweepDir, "params", `config-${runId}.yaml`);
    writeFileSync(paramFile, paramsYaml(args));
    const argv = [
      "run",
      line.pipeline,
      ...line.args,
      "--run-dir",
      runDir,
      ...(resuming ? ["--resume", runDir] : []),
      "--no-progress",
    ];
    Object.assign(trial, { argv });
    const spec = (options.launch ?? defaultLaunch)(argv);
    const running = startTrial(
      {
        command: spec.command,
        args: spec.args,
        env: {
          WANDB_API_KEY: apiKey,
          WANDB_BASE_URL: baseUrl,
          WANDB_RUN_ID: runId,
          WANDB_SWEEP_ID: path.sweep,
          WANDB_PROJECT: project,
          WANDB_ENTITY: entity,
          WANDB_DIR: sweepDir,
          WANDB_SWEEP_PARAM_PATH: paramFile,
        },
      },
      {
        trialId: runId,
        index: trials.length - 1,
        pipeline: line.pipeline,
        params: flatArgs(args),
        setFlags: [],
        runDir,
        sweepDir,
      },
      logOf(runId),
      // The trial writes its log itself: it must end cleanly even when the agent is killed.
      { direct: true },
    );
    const entry: Active = { trial, child: running.child };
    active.set(runId, entry);
    log(`run ${runId} started: ${describeArgs(args)}`);
    running.exited.then((exit) => {
      finish(entry, exit);
      wakeUp();
    });
  };

  const finish = (entry: Active, exit: TrialExit) => {
    const { trial } = entry;
    clearTimeout(entry.killTimer);
    active.delete(trial.runId);
    trial.exitCode = exit.code;
    if (entry.stopReason === "interrupt" || (signal?.aborted && exit.code !== 0)) {
      trial.status = "interrupted";
      trial.reason = "the agent was stopped";
    } else if (entry.stopReason !== undefined) {
      trial.status = "stopped";
      trial.reason = `the sweep controller said ${entry.stopReason}`;
    } else if (exit.code === 0) {
      trial.status = "finished";
    } else {
      trial.status = "failed";
      const why =
        exit.spawnError ?? (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`);
      const tail = exit.stderrTail.trim().split("\n").slice(-2).join(" | ");
      trial.reason = tail ? `${why}: ${tail}` : why;
    }
    log(`run ${trial.runId} ${trial.status}${trial.reason ? ` (${trial.reason})` : ""}`);
    unsynced.add(trial);
    nextSyncAt = 0;
    noteEnd(trial, `run ${trial.runId} (${trial.reason})\n  its log: ${logOf(trial.runId)}`);
  };

  /** Counts a trial's end for the early-failure rules; one of them may stop the agent here. */
  const noteEnd = (trial: AgentTrial, lastFailure: string) => {
    if (reason !== undefined || trial.status === "interrupted") return;
    const rule = earlyFailures.ended(trial.status === "failed");
    if (rule === undefined) return;
    reason = rule;
    message = earlyFailures.message(rule, lastFailure);
    for (const entry of active.values()) terminate(entry, "interrupt");
    wakeUp();
  };

  const terminate = (entry: Active, why: "stop" | "exit" | "interrupt") => {
    if (entry.stopAt !== undefined) {
      // A later stop past the grace period kills, as the wandb agent does.
      if (Date.now() - entry.stopAt >= killGraceMs) entry.child.kill("SIGKILL");
      return;
    }
    entry.stopAt = Date.now();
    entry.stopReason = why;
    entry.child.kill("SIGTERM");
    entry.killTimer = setTimeout(() => entry.child.kill("SIGKILL"), killGraceMs);
  };

  const syncPending = async (force = false) => {
    if (unsynced.size === 0 || (!force && Date.now() < nextSyncAt)) return;
    let failed = false;
    for (const trial of [...unsynced]) {
      try {
        await syncTrial(trial, { apiKey, baseUrl, entity, project, sweep: path.sweep });
        trial.synced = true;
        unsynced.delete(trial);
      } catch (error) {
        failed = true;
        log(`run ${trial.runId}: W&B sync failed (${(error as Error).message}); retrying later`);
        break;
      }
    }
    syncFailures = failed ? syncFailures + 1 : 0;
    nextSyncAt = failed ? Date.now() + Math.min(maxBackoffMs, heartbeatMs * 2 ** syncFailures) : 0;
  };

  let heartbeatFailures = 0;
  let sweepGone = false;
  for (;;) {
    if (signal?.aborted) {
      reason = "interrupted";
      for (const entry of active.values()) terminate(entry, "interrupt");
    }
    const started = trials.length;
    const countReached = options.count !== undefined && started >= options.count;
    if (active.size === 0 && (reason !== undefined || countReached || sweepGone)) {
      reason ??= sweepGone ? "sweep-gone" : "count";
      break;
    }
    let waitMs = heartbeatMs;
    if (reason === undefined && !sweepGone) {
      const runState = Object.fromEntries([...active.keys()].map((id) => [id, true]));
      try {
        const commands = await api.heartbeat(agentId, runState);
        if (heartbeatFailures > 0) log("W&B answers again");
        heartbeatFailures = 0;
        for (const command of commands) {
          // An early-failure rule stopped the agent while this heartbeat's commands ran.
          if (reason !== undefined) break;
          if (command.type === "run" || command.type === "resume") {
            if (!countReached && !(options.count !== undefined && trials.length >= options.count))
              launch(command);
          } else if (command.type === "stop") {
            const entry = command.run_id ? active.get(command.run_id) : undefined;
            if (entry) {
              log(`run ${entry.trial.runId}: the controller says stop`);
              terminate(entry, "stop");
            }
          } else if (command.type === "exit") {
            log("the controller says exit");
            reason = "exit";
            for (const entry of active.values()) terminate(entry, "exit");
          } else {
            log(`ignoring unknown command ${JSON.stringify(command.type)}`);
          }
        }
      } catch (error) {
        if (error instanceof WandbRequestError && error.status === 404) {
          log(`sweep ${sweepName} is gone; finishing the running trials`);
          sweepGone = true;
        } else if (signal?.aborted) {
          // Ctrl-C cut the heartbeat short: the loop ends the trials next.
        } else if (error instanceof WandbRequestError && error.retryable) {
          heartbeatFailures++;
          waitMs = Math.min(maxBackoffMs, heartbeatMs * 2 ** heartbeatFailures);
          log(`heartbeat failed (${error.message}); next try in ${seconds(waitMs)}`);
        } else {
          for (const entry of active.values()) terminate(entry, "interrupt");
          throw error instanceof WandbRequestError ? new AgentError(error.message) : error;
        }
      }
    }
    await syncPending();
    if (active.size === 0 && reason !== undefined) break;
    await new Promise<void>((resolveWait) => {
      const timer = setTimeout(resolveWait, waitMs);
      wake = () => {
        clearTimeout(timer);
        resolveWait();
      };
      if (signal?.aborted && reason === undefined) wake();
    });
    wake = undefined;
  }
  signal?.removeEventListener("abort", wakeUp);

  // One last try for what W&B has not confirmed; the run directories keep the rest.
  for (let attempt = 0; unsynced.size > 0 && attempt < 3 && !signal?.aborted; attempt++) {
    await syncPending(true);
    if (unsynced.size > 0) await sleep(Math.min(maxBackoffMs, heartbeatMs * 2 ** attempt));
  }
  if (signal?.aborted && unsynced.size > 0) await syncPending(true);
  for (const trial of unsynced)
    log(`run ${trial.runId} is not on W&B yet: run \`tipi sync ${trial.runDir}\` later`);
  const gaveUp = reason === "flapping" || reason === "failing";
  return { agentId, sweep: sweepName, sweepDir, trials, reason, ...(gaveUp ? { message } : {}) };
}

/** The sweep's `command` and `program` from its YAML config. */
function readSweepYaml(text: string): { command?: readonly unknown[]; program?: string } {
  try {
    const value = parseYaml11(text).value as Record<string, unknown> | null;
    return {
      ...(Array.isArray(value?.command) ? { command: value.command } : {}),
      ...(typeof value?.program === "string" ? { program: value.program } : {}),
    };
  } catch {
    return {};
  }
}

/** `{ name: value }` from the controller's `{ name: { value } }`. */
export function flatArgs(args: AgentRunArgs): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v?.value]));
}

/** The parameter file the wandb agent writes (`WANDB_SWEEP_PARAM_PATH`), JSON values in YAML. */
function paramsYaml(args: AgentRunArgs): string {
  const lines = ["wandb_version: 1"];
  for (const [name, { value }] of Object.entries(args))
    lines.push(`${JSON.stringify(name)}:`, `  value: ${JSON.stringify(value ?? null)}`);
  return `${lines.join("\n")}\n`;
}

function describeArgs(args: AgentRunArgs): string {
  return Object.entries(args)
    .map(([k, v]) => `${k}=${JSON.stringify(v?.value)}`)
    .join(" ");
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/**
 * Makes W&B hold what the trial's run directory holds: `syncRun` uploads what was not
 * confirmed and marks the run complete with its exit code. A trial that never created its
 * run directory is still reported, as a failed run with its parameters.
 */
async function syncTrial(
  trial: AgentTrial,
  ctx: { apiKey: string; baseUrl: string; entity: string; project: string; sweep: string },
): Promise<void> {
  const exitCode = trial.status === "finished" ? 0 : trial.exitCode ? trial.exitCode : 1;
  if (!existsSync(join(trial.runDir, "meta.json"))) {
    const client = new WandbClient({ baseUrl: ctx.baseUrl, apiKey: ctx.apiKey, timeoutMs: 10_000 });
    await client.upsertRun({
      name: trial.runId,
      project: ctx.project,
      entity: ctx.entity,
      config: Object.fromEntries(Object.entries(trial.args)),
      sweep: ctx.sweep,
    });
    await client.fileStream(ctx.entity, ctx.project, trial.runId, {
      complete: true,
      exitcode: exitCode,
    });
    return;
  }
  const result = await syncRun(trial.runDir, {
    apiKey: ctx.apiKey,
    baseUrl: ctx.baseUrl,
    timeoutMs: 10_000,
    exitCode,
  });
  if (result.isErr()) throw new Error(result.error.message);
}
