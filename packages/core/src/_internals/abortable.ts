/** How a bounded piece of work ended. */
export type BoundedOutcome<T> =
  | { readonly status: "ok"; readonly value: T }
  | { readonly status: "error"; readonly cause: unknown }
  | { readonly status: "timeout" }
  | { readonly status: "cancelled"; readonly reason: unknown };

/**
 * Runs `work` with a fresh signal that aborts when `parent` aborts or after `timeoutMs`.
 * The returned promise settles as soon as either happens: the work is aborted and abandoned.
 */
export async function runBounded<T>(
  work: (signal: AbortSignal) => T | PromiseLike<T>,
  parent: AbortSignal | undefined,
  timeoutMs: number | undefined,
  timeoutMessage = "timed out",
): Promise<BoundedOutcome<T>> {
  if (parent?.aborted) return { status: "cancelled", reason: parent.reason };
  const controller = new AbortController();
  const timeoutReason =
    timeoutMs === undefined ? undefined : new DOMException(timeoutMessage, "TimeoutError");
  let settle: (outcome: BoundedOutcome<T>) => void = () => {};
  const stopped = new Promise<BoundedOutcome<T>>((resolve) => {
    settle = resolve;
  });
  const onParentAbort = () => {
    controller.abort(parent?.reason);
    settle({ status: "cancelled", reason: parent?.reason });
  };
  parent?.addEventListener("abort", onParentAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          controller.abort(timeoutReason);
          settle({ status: "timeout" });
        }, timeoutMs);
  try {
    const running = (async (): Promise<BoundedOutcome<T>> => {
      try {
        return { status: "ok", value: await work(controller.signal) };
      } catch (cause) {
        if (parent?.aborted) return { status: "cancelled", reason: parent.reason };
        if (controller.signal.aborted && controller.signal.reason === timeoutReason) {
          return { status: "timeout" };
        }
        return { status: "error", cause };
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
