import { basename, extname } from "node:path";
import { currentRun } from "@tipi/core";
import { RunStore, WandBLogger, type WandBLoggerOptions } from "@tipi/wandb";

/** W&B settings for a script's run; anything not given comes from `WANDB_*` variables. */
export type LoggerWandBOptions = Pick<
  WandBLoggerOptions,
  "mode" | "entity" | "name" | "tags" | "apiKey" | "baseUrl" | "timeouts"
>;

/** Options of {@link logger.init} in a plain script. Inside a pipeline run they are ignored. */
export interface LoggerInitOptions {
  /** Groups runs: the run directory is `<root>/<project>/<run-id>/`. */
  readonly project: string;
  /** Where run directories go. Default `"runs"` (relative to the working directory). */
  readonly root?: string;
  /** Fixes the run id (default: a fresh one). */
  readonly runId?: string;
  /** Hyperparameters to record in `config.json` (secrets are redacted by the store). */
  readonly config?: Record<string, unknown>;
  /**
   * Also send the run to Weights & Biases (`true`: mode from `WANDB_MODE`, else online).
   * The local run directory stays the source of truth; an unreachable W&B loses nothing
   * (`tipi sync` uploads it later). Default: off.
   */
  readonly wandb?: boolean | LoggerWandBOptions;
}

/** What {@link logger.init} returns: where the metrics go. */
export interface LoggerRunInfo {
  /** `"pipeline"` inside a run (metrics go on the run's bus), `"standalone"` in a script. */
  readonly mode: "pipeline" | "standalone";
  readonly runId: string;
  readonly runDir?: string;
}

interface StandaloneRun {
  readonly store: RunStore;
  readonly wandb?: WandBLogger;
  step: number;
  /** Set when a write failed: the warning is printed once and later writes are dropped. */
  failed: boolean;
}

let standalone: StandaloneRun | undefined;

function defaultProject(): string {
  const script = process.argv[1];
  return script === undefined ? "script" : basename(script, extname(script));
}

function startStandalone(opts: LoggerInitOptions): StandaloneRun {
  const store = RunStore.create({
    root: opts.root ?? "runs",
    pipeline: opts.project,
    ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
    config: opts.config ?? {},
    meta: { source: "tipi logger", argv: process.argv.slice(1), cwd: process.cwd() },
  });
  let run: StandaloneRun = { store, step: 0, failed: false };
  if (opts.wandb !== undefined && opts.wandb !== false) {
    const wandb = new WandBLogger({
      ...(opts.wandb === true ? {} : opts.wandb),
      project: opts.project,
      runDir: store.dir,
      config: opts.config ?? {},
    });
    store.close();
    wandb.initialize();
    run = { store: wandb.store, wandb, step: 0, failed: false };
  }
  // A script that forgets `finish()` still leaves a finished run directory behind.
  process.once("beforeExit", () => {
    if (standalone === run) logger.finish().catch(() => undefined);
  });
  return run;
}

/**
 * Experiment tracking that works in a script and inside a pipeline. In a script, `init`
 * creates a local run directory (`runs/<project>/<id>/` with `config.json`,
 * `history.jsonl`, `summary.json`); inside a pipeline run, `log` emits `metric` events on
 * the run's bus, which the run's own store and loggers record, and `init`/`finish` do nothing.
 *
 * @example
 * logger.init({ project: "fashion", config: { lr: 1e-3 } });
 * logger.log({ loss: 0.42 });
 * await logger.finish();
 */
export const logger = {
  /** Starts a run (script) or attaches to the current pipeline run. */
  init(opts: LoggerInitOptions): LoggerRunInfo {
    const ctx = currentRun();
    if (ctx !== undefined) {
      return {
        mode: "pipeline",
        runId: ctx.runId,
        ...(ctx.runDir !== undefined ? { runDir: ctx.runDir } : {}),
      };
    }
    if (standalone !== undefined) logger.finish().catch(() => undefined);
    standalone = startStandalone(opts);
    return { mode: "standalone", runId: standalone.store.runId, runDir: standalone.store.dir };
  },

  /**
   * Records scalars. `step` defaults to one more than the last step logged. Never throws: a
   * failed write prints one warning and training goes on.
   */
  log(values: Readonly<Record<string, number>>, step?: number): void {
    const ctx = currentRun();
    if (ctx !== undefined) {
      ctx.emit({ type: "metric", values, ...(step !== undefined ? { step } : {}) });
      return;
    }
    try {
      standalone ??= startStandalone({ project: defaultProject() });
    } catch (error) {
      process.stderr.write(`tipi logger: cannot create a run directory: ${String(error)}\n`);
      return;
    }
    const run = standalone;
    run.step = step ?? run.step + 1;
    if (run.failed) return;
    try {
      if (run.wandb !== undefined) run.wandb.log(values, { step: run.step });
      else run.store.appendHistory({ step: run.step, values, time: Date.now() });
    } catch (error) {
      run.failed = true;
      process.stderr.write(`tipi logger: metrics are not being saved: ${String(error)}\n`);
    }
  },

  /**
   * Writes `summary.json` (the last value of every metric), marks the run finished and, with
   * W&B, waits (bounded) for the upload. Await it before the script ends.
   */
  async finish(): Promise<void> {
    const run = standalone;
    if (run === undefined || currentRun() !== undefined) return;
    standalone = undefined;
    if (run.wandb !== undefined) {
      const report = await run.wandb.finish(0);
      for (const warning of report.warnings) process.stderr.write(`tipi logger: ${warning}\n`);
    }
    run.store.setStatus("finished");
    run.store.close();
  },
};
