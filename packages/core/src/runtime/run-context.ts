import { AsyncLocalStorage } from "node:async_hooks";
import type { StepContext } from "../types/context.ts";

/** The per-run slot the executor points at the running step's context. */
export interface RunFrame {
  current: StepContext<Record<string, unknown>> | undefined;
}

const storage = new AsyncLocalStorage<RunFrame>();

/**
 * The running step's context (its permanences, signal, run id), or `undefined` outside a
 * run. Lets helpers called deep inside a step reach the pipeline without threading `ctx`.
 *
 * @example
 * const device = currentRun()?.get("device");
 */
export function currentRun(): StepContext<Record<string, unknown>> | undefined {
  return storage.getStore()?.current;
}

/** @internal Runs `fn` with `frame` as the run context (one store per run, not per step). */
export function withRunFrame<T>(frame: RunFrame, fn: () => T): T {
  return storage.run(frame, fn);
}
