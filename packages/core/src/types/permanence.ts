import type { TipiEvent } from "./events.ts";

/**
 * A permanence lives for the whole run (device, network, data, logger). The controller calls
 * `initialize` in provide order, then `validate`, then the steps, `checkpoint` at checkpoint
 * points and on interrupt, and `cleanup` always, in reverse order, exactly once.
 */
export interface LifecycleContext {
  /** Aborted when the run is cancelled (Ctrl-C, `run({ signal })`) or the phase times out. */
  readonly signal: AbortSignal;
  /** The run directory when the run has one (CLI runs do), for checkpoints and artefacts. */
  readonly runDir?: string | undefined;
  /** Why a checkpoint is taken. */
  readonly reason?: "step" | "interrupt" | "manual";
  /**
   * Publishes an event on the run's bus (the CLI's output, `events.jsonl`, loggers), e.g. a
   * `log` line saying which backend was chosen. Supplied by the runner; optional so that a
   * permanence can also be driven by hand.
   */
  readonly emit?: (event: TipiEvent) => void;
}

export interface Permanence {
  initialize?(ctx: LifecycleContext): void | Promise<void>;
  validate?(ctx: LifecycleContext): void | Promise<void>;
  checkpoint?(ctx: LifecycleContext): void | Promise<void>;
  /** Restores state written by `checkpoint` (used by `--resume`). */
  restore?(ctx: LifecycleContext): void | Promise<void>;
  cleanup(ctx: LifecycleContext): void | Promise<void>;
}
