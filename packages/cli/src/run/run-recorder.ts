import { messageOf, type TipiEvent } from "@tipi/core";
import {
  attemptEach,
  RUN_FILES,
  type RunStatus,
  type RunStore,
  RunStoreWriteError,
} from "@tipi/wandb";

/**
 * Records a run's events in its run directory, and makes a failed write loud: the executor
 * ignores a throwing event listener, so without this a full disk or a read-only directory would
 * silently drop metrics and events. The first failure aborts the run (cleanup runs) and is kept
 * in {@link failure}; nothing more is written after it, so one fault is reported once.
 */
export class RunRecorder {
  readonly #listener: (event: TipiEvent) => void;
  #failure: unknown;
  #recording = false;

  constructor(
    readonly store: RunStore,
    readonly controller: AbortController,
  ) {
    this.#listener = store.listener();
  }

  /** The first write that failed, if one did. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Stores `event` (events.jsonl, history.jsonl, media, status). */
  record(event: TipiEvent): void {
    this.write(() => {
      this.#recording = true;
      try {
        this.#listener(event);
      } finally {
        this.#recording = false;
      }
    });
  }

  /**
   * Calls `listener` with the events others write to the store directly, beside the run's bus:
   * a tracker's warnings (`wandb: W&B sync failed, run tipi sync … later`). The renderers never
   * see those otherwise. Returns an unsubscribe.
   */
  onStoreOnlyEvent(listener: (event: TipiEvent) => void): () => void {
    return this.store.onEvent((event) => {
      if (!this.#recording) listener(event);
    });
  }

  /** Runs another write to the run directory (e.g. `updateMeta`) under the same rule. */
  write(write: () => void): void {
    if (this.#failure !== undefined) return;
    try {
      write();
    } catch (error) {
      this.#failure = error;
      this.controller.abort(error);
    }
  }

  /**
   * Writes the final summary and status (`error` goes into `status.json`) and closes the store.
   * Returns why that failed, if it did, for the CLI to print: the run could not be marked.
   */
  finish(
    status: RunStatus,
    options: { readonly summary?: Record<string, unknown>; readonly error?: string },
  ): unknown {
    const { summary, error } = options;
    return attemptEach([
      summary !== undefined &&
        this.#failure === undefined &&
        (() => this.store.writeSummary(summary)),
      () => this.store.setStatus(status, error === undefined ? {} : { error }),
      () => this.store.close(),
    ]);
  }
}

/**
 * What to print for a run whose directory could not be written: what failed, that the run was
 * stopped (its metrics could not be kept), and whether `status.json` says so.
 */
export function describeStoreFailure(
  storeFailure: unknown,
  markFailure: unknown,
  status: RunStatus,
  where: string,
): string {
  const lines: string[] = [];
  if (storeFailure !== undefined) {
    lines.push(
      `✖ ${messageOf(storeFailure)}`,
      "  the run was stopped: its metrics and events could not be recorded; cleanup ran",
    );
  }
  // The file that failed first usually fails again when synced: that is the same fault.
  const sameFault =
    markFailure instanceof RunStoreWriteError &&
    storeFailure instanceof RunStoreWriteError &&
    markFailure.path === storeFailure.path;
  if (markFailure !== undefined && !sameFault) {
    lines.push(`✖ ${messageOf(markFailure)}`);
  }
  const unmarked =
    markFailure instanceof RunStoreWriteError && markFailure.path.endsWith(RUN_FILES.status);
  lines.push(
    unmarked
      ? `  run directory: ${where} (incomplete; its status.json could not be updated)`
      : `  run directory: ${where} (status.json: ${status})`,
  );
  return `${lines.join("\n")}\n`;
}
