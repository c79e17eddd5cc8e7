import type { EventListener, TipiEvent } from "../types/events.ts";
import type { RunFrame } from "./run-context.ts";

/** Thrown into a racing step when the run's signal aborts. */
export class RunAborted {
  constructor(readonly reason: unknown) {}
}

/** @internal Everything one run shares across its steps and nested sub-pipelines. */
export class RunState {
  readonly frame: RunFrame = { current: undefined };
  /** Whether the run can be cancelled at all (it has a signal). */
  readonly abortable: boolean;
  readonly #listener: EventListener | undefined;
  readonly #onAbort: (() => void) | undefined;
  /** Rejects the promise the executor is waiting on (the running step's). */
  #interrupt: ((reason: unknown) => void) | undefined;

  constructor(
    readonly runId: string,
    readonly runDir: string | undefined,
    readonly signal: AbortSignal,
    listener: EventListener | undefined,
    readonly resume: boolean,
    readonly cleanupTimeoutMs: number,
    readonly lifecycleTimeoutMs: number | undefined,
    readonly overrides: ReadonlyMap<string, unknown>,
  ) {
    this.#listener = listener;
    this.abortable = signal !== NEVER_ABORTED;
    if (this.abortable && !signal.aborted) {
      this.#onAbort = () => this.#interrupt?.(new RunAborted(signal.reason));
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /**
   * Settles like `pending`, or rejects with {@link RunAborted} as soon as the run's signal
   * aborts: a step that ignores its signal is abandoned, not awaited. Steps run one at a
   * time, so one slot is enough (a sub-pipeline's steps take it over, then give it back
   * by finishing first).
   */
  watch<T>(pending: PromiseLike<T>): Promise<T> {
    if (this.signal.aborted) return Promise.reject(new RunAborted(this.signal.reason));
    return new Promise<T>((resolve, reject) => {
      this.#interrupt = reject;
      pending.then(resolve, reject);
    });
  }

  /** Rejects the promise {@link watch} returned last with `reason` (a step's timeout). */
  interrupt(reason: unknown): void {
    this.#interrupt?.(reason);
  }

  /** True when someone listens: lets the hot path skip building events. */
  get observed(): boolean {
    return this.#listener !== undefined;
  }

  emit(event: TipiEvent): void {
    if (this.#listener === undefined) return;
    try {
      this.#listener(event);
    } catch {
      // A broken listener must not break the run it observes.
    }
  }

  dispose(): void {
    if (this.#onAbort !== undefined) this.signal.removeEventListener("abort", this.#onAbort);
    this.#interrupt = undefined;
  }
}

/** A signal that never aborts, for runs started without one. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;
