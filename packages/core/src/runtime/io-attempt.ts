import { cancelDeadline, type Deadline, startDeadline } from "./deadlines.ts";
import type { RunState } from "./run-state.ts";

/** Rejects the running attempt's watched promise when its timeout expires. */
export const TIMED_OUT: unique symbol = Symbol("tipi.timed-out");

/**
 * @internal One attempt of an `io` step with a timeout. Nothing is created that the attempt
 * does not need: the deadline is an entry in the shared timer wheel, and the attempt's own
 * `AbortSignal` (aborted by the timeout or the run) and the timeout's abort reason are made
 * only when the step reads `ctx.signal` or the timeout expires.
 */
export class IoAttempt implements Deadline {
  at = 0;
  live = false;
  timedOut = false;
  #controller: AbortController | undefined;
  #onRunAbort: (() => void) | undefined;

  constructor(
    readonly run: RunState,
    readonly step: string,
    readonly timeoutMs: number,
  ) {}

  start(): void {
    startDeadline(this, this.timeoutMs);
  }

  /** Cancels the deadline and lets go of the run's signal. */
  end(): void {
    cancelDeadline(this, this.timeoutMs);
    if (this.#onRunAbort !== undefined) {
      this.run.signal.removeEventListener("abort", this.#onRunAbort);
      this.#onRunAbort = undefined;
    }
  }

  /** The attempt's signal: aborts on its timeout and when the run is cancelled. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      const runSignal = this.run.signal;
      if (this.timedOut) controller.abort(this.#timeoutReason());
      else if (runSignal.aborted) controller.abort(runSignal.reason);
      else if (this.run.abortable && this.live) {
        this.#onRunAbort = () => controller.abort(runSignal.reason);
        runSignal.addEventListener("abort", this.#onRunAbort, { once: true });
      }
    }
    return this.#controller.signal;
  }

  onDeadline(): void {
    this.timedOut = true;
    // First abandon the attempt, then tell the step (its abort handlers may reject too).
    this.run.interrupt(TIMED_OUT);
    this.#controller?.abort(this.#timeoutReason());
  }

  #timeoutReason(): DOMException {
    return new DOMException(
      `step "${this.step}" timed out after ${this.timeoutMs} ms`,
      "TimeoutError",
    );
  }
}
