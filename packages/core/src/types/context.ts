import type { TipiEvent } from "./events.ts";

/**
 * What every step receives beside the state. `TPerms` maps permanence names to their types,
 * so `ctx.get("device")` is typed in DSL pipelines.
 */
export interface StepContext<TPerms extends object = Record<string, unknown>> {
  /** The permanence provided under `name`. */
  get<K extends keyof TPerms & string>(name: K): TPerms[K];
  /** Whether a permanence named `name` is provided, so optional ones need no try/catch. */
  has(name: string): boolean;
  /** Aborted by the step's timeout, `run({ signal })` and Ctrl-C. Pass it to long work. */
  readonly signal: AbortSignal;
  /** The name (path, for sub-pipelines: `train/fit`) of the running step. */
  readonly step: string;
  readonly runId: string;
  /** The run directory when the run has one (CLI runs do). */
  readonly runDir?: string | undefined;
  /** Publishes an event on the run's bus (progress, metric, log). */
  emit(event: TipiEvent): void;
}
