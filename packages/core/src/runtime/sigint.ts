/** Options of {@link installSigintHandler}. */
export interface SigintOptions {
  /** Called on the first signal, e.g. to print "stopping… (Ctrl-C again to force)". */
  readonly onInterrupt?: (signal: NodeJS.Signals) => void;
  /** Called on the second signal instead of `process.exit(130)` (for tests). */
  readonly forceExit?: (code: number) => void;
  /** Which signals to handle (default `["SIGINT"]`). */
  readonly signals?: readonly NodeJS.Signals[];
}

/** The abort reason a signal leaves on the controller. */
export class InterruptedError extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = "InterruptedError";
  }
}

/**
 * For CLIs: the first Ctrl-C aborts `controller` (pass its signal to `run()`: the running
 * step's `ctx.signal` aborts, then checkpoint and cleanup run); a second one exits with 130
 * at once. Returns a function that removes the handler.
 *
 * @example
 * const controller = new AbortController();
 * const uninstall = installSigintHandler(controller);
 * const result = await pipeline.run(input, { signal: controller.signal });
 * uninstall();
 */
export function installSigintHandler(
  controller: AbortController,
  options: SigintOptions = {},
): () => void {
  const signals = options.signals ?? ["SIGINT"];
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      options.onInterrupt?.(signal);
      controller.abort(new InterruptedError(signal));
      return;
    }
    (options.forceExit ?? ((code: number) => process.exit(code)))(130);
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
