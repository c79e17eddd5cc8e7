import type { TipiEvent } from "@tipi/core";

/** The abort reason of a run whose steps wait on promises that nothing can settle. */
export class StalledRunError extends Error {
  constructor(readonly step: string | undefined) {
    super(
      `${step === undefined ? "the run" : `step "${step}"`} stalled: it awaits a promise that can never settle (nothing was left for Node to run)`,
    );
    this.name = "StalledRunError";
  }
}

/** How many runs are being watched now (the CLI's last-resort check stands back for them). */
let watching = 0;

/** Whether a {@link StallWatch} is handling Node's `beforeExit` for a run in flight. */
export function isRunWatched(): boolean {
  return watching > 0;
}

/**
 * Watches a run for the empty-event-loop condition: Node emits `beforeExit` when nothing is
 * left to run (no timer, socket or pending I/O), which while a run is in flight means every
 * step waits on a promise that can never settle. Node would then exit with code 13 and no
 * cleanup; instead `controller` is aborted with a {@link StalledRunError}, so the step is
 * abandoned, cleanup runs and the CLI reports the stall. Should the loop run empty again before
 * the run ends (cleanup stalled too), `onGiveUp` is called.
 */
export class StallWatch {
  readonly #running: string[] = [];
  #error: StalledRunError | undefined;
  readonly #onBeforeExit = () => {
    if (this.#error !== undefined) {
      this.onGiveUp(this.#error);
      return;
    }
    this.#error = new StalledRunError(this.#running.at(-1));
    this.controller.abort(this.#error);
  };

  constructor(
    readonly controller: AbortController,
    readonly onGiveUp: (error: StalledRunError) => void,
  ) {
    process.on("beforeExit", this.#onBeforeExit);
    watching++;
  }

  /** Feed it the run's events: it names the (innermost) step that was running. */
  onEvent(event: TipiEvent): void {
    if (event.type === "step:start") this.#running.push(event.step);
    else if (event.type === "step:end" || event.type === "step:error") {
      const at = this.#running.lastIndexOf(event.step);
      if (at >= 0) this.#running.splice(at, 1);
    }
  }

  /** The stall, if the run stalled. */
  get error(): StalledRunError | undefined {
    return this.#error;
  }

  stop(): void {
    if (!process.listeners("beforeExit").includes(this.#onBeforeExit)) return;
    process.off("beforeExit", this.#onBeforeExit);
    watching--;
  }
}
