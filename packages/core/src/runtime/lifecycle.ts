import { type BoundedFailure, runBounded } from "../_internals/abortable.ts";
import { errors } from "../_internals/errors.ts";
import type { PermanenceNode } from "../graph/permanence-node.ts";
import type { PipelineError } from "../types/errors.ts";
import type { LifecyclePhase, TipiEvent } from "../types/events.ts";
import type { LifecycleContext } from "../types/permanence.ts";
import type { RunState } from "./run-state.ts";
import { lookup, type PermanenceLookup } from "./step-context.ts";

/**
 * A permanence that exists in this run. It is cleaned up exactly once, and only if its
 * `initialize` ran (or it has none): a cleanup never sees a permanence that was created but
 * never initialised, so cleanups need not be defensive.
 */
export interface LivePermanence {
  readonly name: string;
  readonly value: unknown;
  /** `initialize` was called (even if it failed: it may have acquired resources), or absent. */
  initialized: boolean;
  cleaned: boolean;
}

type Method = (ctx: LifecycleContext) => unknown;

function methodOf(value: unknown, phase: LifecyclePhase): Method | undefined {
  if (value === null || (typeof value !== "object" && typeof value !== "function"))
    return undefined;
  const m = (value as Record<string, unknown>)[phase];
  return typeof m === "function" ? (m as Method).bind(value) : undefined;
}

/** What a lifecycle method's `ctx.emit` calls: the run's bus (a broken listener is ignored). */
function emitter(run: RunState): (event: TipiEvent) => void {
  return (event) => run.emit(event);
}

/** Creates the permanences in provide order into `scope`; stops at the first failure. */
export async function createPermanences(
  nodes: readonly PermanenceNode[],
  scope: PermanenceLookup,
  live: LivePermanence[],
  run: RunState,
): Promise<PipelineError | undefined> {
  const deps = {
    has: (name: string) => lookup(scope, name).found,
    get(name: string): unknown {
      const hit = lookup(scope, name);
      if (!hit.found)
        throw new Error(`permanence "${name}" is not created yet (provide it earlier)`);
      return hit.value;
    },
  };
  for (const node of nodes) {
    if (run.signal.aborted) return errors.cancelled("create", run.signal.reason);
    let value: unknown;
    if (run.overrides.has(node.name)) {
      value = run.overrides.get(node.name);
    } else {
      const outcome = await runBounded(
        () => node.factory(deps),
        run.signal,
        run.lifecycleTimeoutMs,
      );
      if (outcome.isErr()) return phaseError(node.name, "create", outcome.error);
      value = outcome.value;
    }
    scope.perms.set(node.name, value);
    live.push({
      name: node.name,
      value,
      initialized: methodOf(value, "initialize") === undefined,
      cleaned: false,
    });
  }
  return undefined;
}

function phaseError(
  name: string,
  phase: "create" | "initialize" | "validate" | "checkpoint" | "restore",
  outcome: BoundedFailure,
): PipelineError {
  if (outcome.status === "cancelled") return errors.cancelled(`${phase} ${name}`, outcome.reason);
  const cause = outcome.status === "timeout" ? new Error(`${phase} timed out`) : outcome.cause;
  return errors.permanenceFailed(name, phase, cause);
}

/** Runs one lifecycle phase on every live permanence in order; stops at the first failure. */
export async function runPhase(
  live: readonly LivePermanence[],
  phase: "initialize" | "validate" | "checkpoint" | "restore",
  run: RunState,
  reason?: LifecycleContext["reason"],
  signal: AbortSignal = run.signal,
  timeoutMs: number | undefined = run.lifecycleTimeoutMs,
): Promise<PipelineError | undefined> {
  const emit = emitter(run);
  for (const p of live) {
    const method = methodOf(p.value, phase);
    if (method === undefined) continue;
    if (phase === "initialize") p.initialized = true;
    run.emit({ type: "permanence", phase, name: p.name, status: "start" });
    const outcome = await runBounded(
      (s) => method({ signal: s, runDir: run.runDir, emit, ...(reason ? { reason } : {}) }),
      signal,
      timeoutMs,
    );
    if (outcome.isOk()) {
      run.emit({ type: "permanence", phase, name: p.name, status: "end" });
      continue;
    }
    const error = phaseError(p.name, phase, outcome.error);
    run.emit({ type: "permanence", phase, name: p.name, status: "error", cause: error });
    return error;
  }
  return undefined;
}

/**
 * Cleans up every live permanence in reverse order, each exactly once and within the
 * cleanup timeout, whatever happened before. Returns every failure.
 */
export async function cleanupAll(
  live: readonly LivePermanence[],
  run: RunState,
): Promise<{ permanence: string; cause: unknown }[]> {
  const failures: { permanence: string; cause: unknown }[] = [];
  const emit = emitter(run);
  for (let i = live.length - 1; i >= 0; i--) {
    const p = live[i];
    if (p === undefined || p.cleaned || !p.initialized) continue;
    p.cleaned = true;
    const method = methodOf(p.value, "cleanup");
    if (method === undefined) continue;
    run.emit({ type: "permanence", phase: "cleanup", name: p.name, status: "start" });
    const outcome = await runBounded(
      (signal) => method({ signal, runDir: run.runDir, emit }),
      undefined,
      run.cleanupTimeoutMs,
    );
    if (outcome.isOk()) {
      run.emit({ type: "permanence", phase: "cleanup", name: p.name, status: "end" });
      continue;
    }
    const failed = outcome.error;
    const cause =
      failed.status === "error"
        ? failed.cause
        : new Error(`cleanup timed out after ${run.cleanupTimeoutMs} ms`);
    failures.push({ permanence: p.name, cause });
    run.emit({ type: "permanence", phase: "cleanup", name: p.name, status: "error", cause });
  }
  return failures;
}
