import type { EventListener, TipiEvent } from "../types/events.ts";
import type { RunFrame } from "./run-context.ts";

/** Thrown into a racing step when the run's signal aborts. */
export class RunAborted {
  constructor(readonly reason: unknown) {}
}

/** @internal Everything one run shares across its steps and nested sub-pipelines. */
export class RunState {
  readonly frame: RunFrame = { current: undefined };
  /** Rejects with {@link RunAborted} when the run's signal aborts; created only with a signal. */
  readonly abortRace: Promise<never> | undefined;
  readonly #listener: EventListener | undefined;
  readonly #detach: (() => void) | undefined;

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
    if (signal.aborted) {
      this.abortRace = Promise.reject(new RunAborted(signal.reason));
      this.abortRace.catch(() => {});
    } else if (signal !== NEVER_ABORTED) {
      let onAbort: () => void = () => {};
      this.abortRace = new Promise<never>((_, reject) => {
        onAbort = () => reject(new RunAborted(signal.reason));
        signal.addEventListener("abort", onAbort, { once: true });
      });
      this.abortRace.catch(() => {});
      this.#detach = () => signal.removeEventListener("abort", onAbort);
    }
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
    this.#detach?.();
  }
}

/** A signal that never aborts, for runs started without one. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;
