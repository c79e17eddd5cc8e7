/** Stop when `monitor` has not improved by `minDelta` for `patience` epochs. */
export interface EarlyStoppingOptions {
  /** A per-epoch metric name, e.g. `val/loss` (default) or `val/accuracy`. */
  readonly monitor?: string;
  readonly patience: number;
  readonly minDelta?: number;
  /** `min` for losses, `max` for accuracies; inferred from the name when absent. */
  readonly mode?: "min" | "max";
  /** Put back the best epoch's weights when training ends. */
  readonly restoreBest?: boolean;
}

/** Early stopping's progress; JSON-safe so it goes into checkpoints. */
export interface EarlyStoppingState {
  readonly best: number | null;
  readonly bestEpoch: number;
  readonly wait: number;
}

export const initialEarlyStopping: EarlyStoppingState = { best: null, bestEpoch: -1, wait: 0 };

/** The monitored metric and its direction, with defaults applied. */
export function monitorOf(options: EarlyStoppingOptions): { name: string; mode: "min" | "max" } {
  const name = options.monitor ?? "val/loss";
  return { name, mode: options.mode ?? (/acc/.test(name) ? "max" : "min") };
}

/** Folds one epoch's metrics into the state; `stop` says whether to end training. */
export function updateEarlyStopping(
  options: EarlyStoppingOptions,
  state: EarlyStoppingState,
  epoch: number,
  metrics: Readonly<Record<string, number>>,
): { state: EarlyStoppingState; improved: boolean; stop: boolean } {
  const { name, mode } = monitorOf(options);
  const value = metrics[name];
  if (value === undefined || Number.isNaN(value)) {
    throw new Error(
      `early stopping monitors "${name}", which this epoch did not report (have: ${Object.keys(metrics).join(", ")})`,
    );
  }
  const delta = options.minDelta ?? 0;
  const improved =
    state.best === null ||
    (mode === "min" ? value < state.best - delta : value > state.best + delta);
  const next: EarlyStoppingState = improved
    ? { best: value, bestEpoch: epoch, wait: 0 }
    : { ...state, wait: state.wait + 1 };
  return { state: next, improved, stop: next.wait >= options.patience };
}
