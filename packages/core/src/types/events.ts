/**
 * Every observable transition of a run, on one bus. Renderers (the CLI's bars), loggers
 * (W&B, the run store) and tests subscribe to it; core itself never prints.
 */
import type { PipelineError } from "./errors.ts";

export type LifecyclePhase = "initialize" | "validate" | "checkpoint" | "restore" | "cleanup";

/**
 * A figure a step publishes with a `figure` event, as plain data (core draws nothing): the
 * run store keeps it under `media/`, renderers may ignore it.
 */
export type Figure =
  /** `matrix[actual][predicted]` = count; `labels[i]` names class `i`. */
  | {
      readonly kind: "confusion-matrix";
      readonly labels: readonly string[];
      readonly matrix: readonly (readonly number[])[];
    }
  /** Rows of cells under named columns (e.g. per-class accuracy). */
  | {
      readonly kind: "table";
      readonly columns: readonly string[];
      readonly rows: readonly (readonly (string | number)[])[];
    };

export type FigureKind = Figure["kind"];

export type TipiEvent =
  | {
      readonly type: "run:start";
      readonly runId: string;
      readonly pipeline: string;
      readonly steps: readonly string[];
    }
  | {
      readonly type: "run:end";
      readonly runId: string;
      readonly ok: boolean;
      readonly durationMs: number;
      readonly error?: PipelineError;
    }
  | {
      readonly type: "step:start";
      readonly step: string;
      readonly index: number;
      readonly total: number;
    }
  | {
      readonly type: "step:end";
      readonly step: string;
      readonly index: number;
      readonly total: number;
      readonly durationMs: number;
      readonly skipped?: boolean;
    }
  | {
      readonly type: "step:retry";
      readonly step: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly cause: unknown;
    }
  | { readonly type: "step:error"; readonly step: string; readonly error: PipelineError }
  | {
      readonly type: "hook:error";
      readonly step: string;
      readonly hook: string;
      readonly cause: unknown;
      readonly fatal: boolean;
    }
  | {
      readonly type: "permanence";
      readonly phase: LifecyclePhase;
      readonly name: string;
      readonly status: "start" | "end" | "error";
      readonly cause?: unknown;
    }
  /**
   * A progress bar: `id` is unique per bar, `parent` nests it (Epoch → Batch). The first event
   * for an id opens the bar, `done: true` closes it. `total` may be unknown.
   */
  | {
      readonly type: "progress";
      readonly id: string;
      readonly label: string;
      readonly current: number;
      readonly total?: number;
      readonly parent?: string;
      readonly unit?: string;
      readonly status?: string;
      readonly done?: boolean;
    }
  /** Scalars for one step of training (`step` is the global step when known). */
  | {
      readonly type: "metric";
      readonly values: Readonly<Record<string, number>>;
      readonly step?: number;
      readonly epoch?: number;
    }
  /** A figure (confusion matrix, table) named `name`, optionally for a global `step`. */
  | {
      readonly type: "figure";
      readonly name: string;
      readonly figure: Figure;
      readonly step?: number;
    }
  | {
      readonly type: "log";
      readonly level: "debug" | "info" | "warn" | "error";
      readonly message: string;
    };

export type TipiEventType = TipiEvent["type"];
export type EventOf<T extends TipiEventType> = Extract<TipiEvent, { type: T }>;
export type EventListener = (event: TipiEvent) => void;
