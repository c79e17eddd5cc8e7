/** Backoff for {@link WandbRequestError}s worth retrying (`tipi agent`, `tipi sweep --wandb`). */
import { WandbRequestError } from "./wandb-request.ts";

export interface RetryOptions {
  /** First wait after a failure. Default 1 s. */
  readonly initialMs?: number;
  /** Longest wait between attempts. Default 60 s. */
  readonly maxMs?: number;
  /** Give up after this many attempts. Default: never. */
  readonly attempts?: number;
  readonly signal?: AbortSignal;
  /** Called before each wait, with the failure and the wait. */
  readonly onRetry?: (error: WandbRequestError, waitMs: number, attempt: number) => void;
}

/**
 * Calls `fn` until it succeeds, waiting `initialMs`, then twice as long each time up to
 * `maxMs` (with ±20% jitter) after a retryable failure. Rethrows other failures, the last one
 * after `attempts`, and an abort.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof WandbRequestError) || !error.retryable) throw error;
      if (options.attempts !== undefined && attempt >= options.attempts) throw error;
      if (options.signal?.aborted) throw error;
      const base = Math.min(max, initial * 2 ** (attempt - 1));
      const wait = Math.round(base * (0.8 + Math.random() * 0.4));
      options.onRetry?.(error, wait, attempt);
      await sleep(wait, options.signal);
    }
  }
}

/** Resolves after `ms`, or early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
