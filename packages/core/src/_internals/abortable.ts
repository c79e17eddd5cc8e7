import { err, ok, type Result } from "neverthrow";

/** Why a bounded piece of work did not finish: it threw, ran out of time, or was cancelled. */
export type BoundedFailure =
  | { readonly status: "error"; readonly cause: unknown }
  | { readonly status: "timeout" }
  | { readonly status: "cancelled"; readonly reason: unknown };

const TIMEOUT: BoundedFailure = Object.freeze({ status: "timeout" });

/**
 * Runs `work` with a fresh signal that aborts when `parent` aborts or after `timeoutMs`.
 * The returned promise settles as soon as either happens: the work is aborted and abandoned.
 */
export async function runBounded<T>(
  work: (signal: AbortSignal) => T | PromiseLike<T>,
  parent: AbortSignal | undefined,
  timeoutMs: number | undefined,
  timeoutMessage = "timed out",
): Promise<Result<T, BoundedFailure>> {
  if (parent?.aborted) return err({ status: "cancelled", reason: parent.reason });
  const controller = new AbortController();
  const timeoutReason =
    timeoutMs === undefined ? undefined : new DOMException(timeoutMessage, "TimeoutError");
  let settle: (outcome: Result<T, BoundedFailure>) => void = () => {};
  const stopped = new Promise<Result<T, BoundedFailure>>((resolve) => {
    settle = resolve;
  });
  const onParentAbort = () => {
    controller.abort(parent?.reason);
    settle(err({ status: "cancelled", reason: parent?.reason }));
  };
  parent?.addEventListener("abort", onParentAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          controller.abort(timeoutReason);
          settle(err(TIMEOUT));
        }, timeoutMs);
  try {
    const running = (async (): Promise<Result<T, BoundedFailure>> => {
      try {
        return ok(await work(controller.signal));
      } catch (cause) {
        if (parent?.aborted) return err({ status: "cancelled", reason: parent.reason });
        if (controller.signal.aborted && controller.signal.reason === timeoutReason) {
          return err(TIMEOUT);
        }
        return err({ status: "error", cause });
      }
    })();
    return await Promise.race([running, stopped]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    parent?.removeEventListener("abort", onParentAbort);
  }
}

/** Waits `ms`, or less when `signal` aborts; resolves `false` when aborted. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
