import { err, ok, type Result, ResultAsync } from "neverthrow";
import { sleep } from "../_internals/abortable.ts";
import { describeCause, isPromiseLike } from "../_internals/error-message.ts";
import { errors, NestedFailure } from "../_internals/errors.ts";
import type { PipelineGraph } from "../graph/pipeline-graph.ts";
import type { RetryPolicy, StepNode } from "../graph/step-node.ts";
import type { StepContext } from "../types/context.ts";
import type { PipelineError } from "../types/errors.ts";
import type { EventListener } from "../types/events.ts";
import type { HookSpec } from "../types/step.ts";
import { backoffDelay } from "./backoff.ts";
import { composedSteps, SKIPPED } from "./compose.ts";
import { IoAttempt } from "./io-attempt.ts";
import { cleanupAll, createPermanences, type LivePermanence, runPhase } from "./lifecycle.ts";
import { withRunFrame } from "./run-context.ts";
import { NEVER_ABORTED, RunAborted, RunState } from "./run-state.ts";
import { validateWith } from "./schema-validation.ts";
import { type PermanenceLookup, RunStepContext } from "./step-context.ts";

/** @internal How a graph or a step ended: the state after it, or why it failed. */
type Outcome = Result<unknown, PipelineError>;

/** @internal Testing hooks into the executor: fake permanences and a slice of steps. */
export interface ExecuteInternals {
  /** Permanence values used instead of calling their factories. */
  readonly overrides?: ReadonlyMap<string, unknown>;
  /** Index of the first top-level step to run. */
  readonly from?: number;
  /** Index of the last top-level step to run (inclusive). */
  readonly to?: number;
}

/** Options of `run()`. */
export interface RunOptions {
  /** Aborting it cancels the run: the running step's `ctx.signal` aborts, cleanup runs. */
  readonly signal?: AbortSignal;
  /** Receives every event of the run, in order. A throwing listener is ignored. */
  readonly onEvent?: EventListener;
  /** Defaults to 8 random hex characters. */
  readonly runId?: string;
  /** Passed to steps (`ctx.runDir`) and permanences (checkpoints). */
  readonly runDir?: string;
  /** Calls `restore()` on every permanence after `validate()` (resuming a run). */
  readonly resume?: boolean;
  /** Bound on each permanence's `cleanup()` (default 30 s). */
  readonly cleanupTimeoutMs?: number;
  /** Bound on each factory, `initialize`, `validate`, `checkpoint`, `restore` (default none). */
  readonly lifecycleTimeoutMs?: number;
}

const EMPTY_HOOKS: readonly HookSpec<unknown>[] = Object.freeze([]);
const OK_UNDEFINED: Outcome = ok(undefined);

function isResult(value: object): value is Result<unknown, unknown> {
  const r = value as { isOk?: unknown; isErr?: unknown; _unsafeUnwrap?: unknown };
  return (
    typeof r.isOk === "function" &&
    typeof r.isErr === "function" &&
    typeof r._unsafeUnwrap === "function"
  );
}

function isSubPipeline(node: StepNode): boolean {
  return node.kind === "join" && node.impl?.kind === "pipeline";
}

function failure(path: string, cause: unknown, run: RunState): Outcome {
  if (cause instanceof NestedFailure) return err(cause.error);
  if (cause instanceof RunAborted) return err(errors.cancelled(path, cause.reason));
  if (run.signal.aborted) return err(errors.cancelled(path, run.signal.reason));
  return err(errors.stepFailed(path, cause));
}

function settle(value: unknown, path: string, run: RunState): Outcome {
  if (value === undefined) return OK_UNDEFINED;
  if (typeof value === "object" && value !== null) {
    if (value instanceof NestedFailure) return err(value.error);
    if (isResult(value)) return value.isOk() ? ok(value.value) : failure(path, value.error, run);
  }
  return ok(value);
}

/** What a failed attempt's retry event reports: the thrown value, or the error itself. */
function causeOf(error: PipelineError): unknown {
  return error.kind === "step-failed" ? error.cause : error;
}

/** The delay before retrying a failed attempt, or `undefined` when it is not retried. */
function retryDelay(
  policy: RetryPolicy,
  error: PipelineError,
  attempt: number,
): number | undefined {
  if (attempt > policy.retries || error.kind === "cancelled") return undefined;
  if (policy.retryIf !== undefined && !policy.retryIf(causeOf(error), attempt)) return undefined;
  return backoffDelay(policy, attempt);
}

async function runHooks(
  hooks: readonly HookSpec<unknown>[],
  state: unknown,
  ctx: RunStepContext,
  run: RunState,
): Promise<PipelineError | undefined> {
  for (const hook of hooks) {
    let cause: unknown;
    let failed = false;
    try {
      const r = hook.run(state, ctx);
      if (isPromiseLike(r)) await r;
    } catch (e) {
      cause = e;
      failed = true;
    }
    if (!failed) continue;
    const fatal = hook.fatal === true;
    run.emit({ type: "hook:error", step: ctx.step, hook: hook.name, cause, fatal });
    if (fatal) return errors.hookFailed(ctx.step, hook.name, cause);
  }
  return undefined;
}

/**
 * Runs a sub-pipeline as one join: its steps are named `join/step`, its permanences nest
 * in the outer ones. Handed to {@link composedSteps}, which therefore needs no executor.
 */
async function runSubPipeline(
  graph: PipelineGraph,
  join: string,
  state: unknown,
  ctx: StepContext<Record<string, unknown>>,
): Promise<unknown> {
  if (!(ctx instanceof RunStepContext)) {
    throw new TypeError(`join "${join}": a sub-pipeline needs the executor's step context`);
  }
  const outcome = await executeGraph(graph, state, ctx.run, ctx.scope, `${ctx.step}/`);
  return outcome.isOk() ? outcome.value : new NestedFailure(outcome.error);
}

async function runSteps(
  graph: PipelineGraph,
  input: unknown,
  run: RunState,
  scope: PermanenceLookup,
  live: readonly LivePermanence[],
  prefix: string,
  from: number,
  to: number,
): Promise<Outcome> {
  const steps = graph.steps;
  const fns = composedSteps(graph, runSubPipeline);
  const total = to - from + 1;
  let state = input;
  let hooks = EMPTY_HOOKS;
  // Hooks added by a `through` before the slice still apply inside it.
  for (let i = 0; i < from; i++) {
    const node = steps[i];
    if (node?.kind === "through" && node.hooks.length > 0) hooks = hooks.concat(node.hooks);
  }
  for (let i = from; i <= to; i++) {
    const node = steps[i]!;
    const path = prefix === "" ? node.name : prefix + node.name;
    if (run.signal.aborted) return err(errors.cancelled(path, run.signal.reason));
    const observed = run.observed;
    const started = observed ? performance.now() : 0;
    if (observed) run.emit({ type: "step:start", step: path, index: i - from, total });
    const ctx = new RunStepContext(run, scope, path);
    run.frame.current = ctx;
    let outcome: Outcome;
    if (node.kind === "through") {
      let v = validateWith(node.schema, state);
      if (v instanceof Promise) v = await v;
      if (v.isOk()) {
        outcome = ok(v.value);
        if (node.hooks.length > 0) hooks = hooks.concat(node.hooks);
      } else {
        outcome = err(errors.validationFailed(path, v.error));
      }
    } else {
      const fn = fns[i];
      if (fn === undefined) {
        outcome = err(errors.joinMissing(path, node.name));
      } else {
        // The hot path: one call, at most one await, no closures. An io step's timeout
        // adds one IoAttempt (a deadline in the shared timer wheel); retries cost nothing
        // until a failure.
        const timeoutMs = node.kind === "io" ? node.timeoutMs : undefined;
        for (let attempt = 1; ; attempt++) {
          const timed = timeoutMs === undefined ? undefined : new IoAttempt(run, path, timeoutMs);
          // The attempt's own context: its signal is the attempt's.
          const callCtx = timed === undefined ? ctx : new RunStepContext(run, scope, path, timed);
          if (timed !== undefined) {
            run.frame.current = callCtx;
            timed.start();
          }
          let value: unknown;
          let threw = false;
          try {
            value = fn(state, callCtx);
            // A sub-pipeline join is not watched: its own steps are, and it must get to
            // clean up its permanences before the outer pipeline does.
            if (isPromiseLike(value)) {
              const watched = timed !== undefined || (run.abortable && !isSubPipeline(node));
              value = await (watched ? run.watch(value) : value);
            }
          } catch (cause) {
            threw = true;
            value = cause;
          }
          if (timed !== undefined) timed.end();
          outcome =
            timed?.timedOut === true && !run.signal.aborted
              ? err(errors.timedOut(path, timed.timeoutMs))
              : threw
                ? failure(path, value, run)
                : settle(value, path, run);
          if (outcome.isOk() || node.kind !== "io" || node.retry === undefined) break;
          const delayMs = retryDelay(node.retry, outcome.error, attempt);
          if (delayMs === undefined) break;
          run.emit({
            type: "step:retry",
            step: path,
            attempt,
            delayMs,
            cause: causeOf(outcome.error),
          });
          if (!(await sleep(delayMs, run.signal))) {
            outcome = err(errors.cancelled(path, run.signal.reason));
            break;
          }
        }
      }
      if (outcome.isOk() && node.kind === "join" && node.schema !== undefined) {
        let v = validateWith(node.schema, outcome.value);
        if (v instanceof Promise) v = await v;
        outcome = v.isOk()
          ? ok(v.value)
          : err(errors.validationFailed(path, v.error, `the output of join "${node.name}"`));
      }
    }
    if (outcome.isErr()) {
      run.emit({ type: "step:error", step: path, error: outcome.error });
      return outcome;
    }
    const skipped = outcome.value === SKIPPED;
    if (!skipped) state = outcome.value;
    if (node.kind !== "through" && node.checkpoint) {
      const error = await runPhase(live, "checkpoint", run, "step");
      if (error !== undefined) return err(error);
    }
    if (hooks.length > 0) {
      const error = await runHooks(hooks, state, ctx, run);
      if (error !== undefined) {
        run.emit({ type: "step:error", step: path, error });
        return err(error);
      }
    }
    if (observed) {
      const durationMs = performance.now() - started;
      run.emit(
        skipped
          ? { type: "step:end", step: path, index: i - from, total, durationMs, skipped }
          : { type: "step:end", step: path, index: i - from, total, durationMs },
      );
    }
  }
  return ok(state);
}

/**
 * @internal Runs a graph: permanences (create → initialize → validate [→ restore]), the
 * steps, a checkpoint on interrupt, and cleanup always (reverse order, exactly once).
 */
export async function executeGraph(
  graph: PipelineGraph,
  input: unknown,
  run: RunState,
  parent: PermanenceLookup | undefined,
  prefix: string,
  internals: ExecuteInternals = {},
): Promise<Outcome> {
  const from = internals.from ?? 0;
  const to = internals.to ?? graph.steps.length - 1;
  for (let i = from; i <= to; i++) {
    const node = graph.steps[i];
    if (node?.kind === "join" && node.impl === undefined) {
      const error = errors.joinMissing(prefix + node.name, node.name);
      run.emit({ type: "step:error", step: prefix + node.name, error });
      return err(error);
    }
  }
  const scope: PermanenceLookup = { perms: new Map(), parent };
  const live: LivePermanence[] = [];
  let error: PipelineError | undefined;
  if (graph.permanences.length > 0) {
    error = await createPermanences(graph.permanences, scope, live, run);
    error ??= await runPhase(live, "initialize", run);
    error ??= await runPhase(live, "validate", run);
    if (run.resume) error ??= await runPhase(live, "restore", run);
  }
  let state: unknown = input;
  if (error === undefined) {
    let outcome: Outcome;
    try {
      outcome = await runSteps(graph, input, run, scope, live, prefix, from, to);
    } catch (cause) {
      // A schema whose validate() throws, a guard factory that throws…: still a typed
      // error, and cleanup still runs.
      const step = run.frame.current?.step ?? `${prefix}<steps>`;
      const error = errors.stepFailed(step, cause);
      outcome = err(error);
      run.emit({ type: "step:error", step, error });
    }
    if (outcome.isOk()) state = outcome.value;
    else error = outcome.error;
  }
  if (error?.kind === "cancelled" && live.length > 0) {
    // The run's signal is already aborted: the interrupt checkpoint gets its own, and a
    // bound, so that a hanging checkpoint cannot keep cleanup from running.
    await runPhase(
      live,
      "checkpoint",
      run,
      "interrupt",
      new AbortController().signal,
      run.lifecycleTimeoutMs ?? run.cleanupTimeoutMs,
    );
  }
  const failures = live.length > 0 ? await cleanupAll(live, run) : [];
  if (failures.length > 0) {
    const aggregate = errors.cleanupFailed(failures, error);
    run.emit({ type: "step:error", step: `${prefix}cleanup`, error: aggregate });
    error ??= aggregate;
  }
  return error === undefined ? ok(state) : err(error);
}

function newRunId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 8);
}

async function runToResult(
  graph: PipelineGraph,
  input: unknown,
  options: RunOptions,
  internals: ExecuteInternals,
): Promise<Result<unknown, PipelineError>> {
  let run: RunState | undefined;
  try {
    run = new RunState(
      options.runId ?? newRunId(),
      options.runDir,
      options.signal ?? NEVER_ABORTED,
      options.onEvent,
      options.resume === true,
      options.cleanupTimeoutMs ?? 30_000,
      options.lifecycleTimeoutMs,
      internals.overrides ?? new Map(),
    );
    const started = performance.now();
    const from = internals.from ?? 0;
    const to = internals.to ?? graph.steps.length - 1;
    if (run.observed) {
      run.emit({
        type: "run:start",
        runId: run.runId,
        pipeline: graph.name,
        steps: graph.steps.slice(from, to + 1).map((s) => s.name),
      });
    }
    const active = run;
    const outcome = await withRunFrame(run.frame, () =>
      executeGraph(graph, input, active, undefined, "", internals),
    );
    run.emit({
      type: "run:end",
      runId: run.runId,
      ok: outcome.isOk(),
      durationMs: performance.now() - started,
      ...(outcome.isErr() ? { error: outcome.error } : {}),
    });
    return outcome;
  } catch (cause) {
    return err(errors.stepFailed("<run>", new Error(`internal error: ${describeCause(cause)}`)));
  } finally {
    if (run !== undefined) {
      run.frame.current = undefined;
      run.dispose();
    }
  }
}

/** @internal Runs a graph; never throws, never rejects. */
export function runGraph(
  graph: PipelineGraph,
  input: unknown,
  options: RunOptions = {},
  internals: ExecuteInternals = {},
): ResultAsync<unknown, PipelineError> {
  return new ResultAsync(runToResult(graph, input, options, internals));
}
