import type { Err, Result, ResultAsync } from "neverthrow";
import type { StepContext } from "./context.ts";
import type { Duration } from "./duration.ts";

/** What a step may return for the state type `T`: a value, a promise, or a neverthrow result. */
export type StepReturn<T> = T | Promise<T> | Result<T, unknown> | ResultAsync<T, unknown>;

/**
 * What every neverthrow `Result` has, and what every thenable has (`Awaited` unwraps any
 * object with a `then` method). Named types: an inline literal is rebuilt per use.
 */
interface MaybeResult {
  readonly isErr: unknown;
}
interface Thenable {
  then(...args: never[]): unknown;
}

/**
 * The state type a step's raw return type `R` produces (unwraps promises and results). A
 * plain state (neither thenable nor with `isErr`) is returned as is after one cheap test:
 * most steps return one, and `Awaited` and the `Result` match cost more than that test.
 */
export type inferStepOutput<R> = R extends Thenable | MaybeResult ? UnwrapResult<Awaited<R>> : R;

/** `T` for a neverthrow `Result<T, E>`, else the type itself. */
type UnwrapResult<A> = A extends Result<infer T, infer _E> ? T : A;

/**
 * A step: takes the state and the context, returns the next state. An interface rather
 * than a function type alias: `stage` and `io` instantiate it for every step, and
 * TypeScript makes a reference to a generic interface from its arguments alone, where an
 * alias's function type is rebuilt with its parameters (about 90 fewer checker calls a step).
 */
export interface StepFn<TIn, TOut, TPerms extends object> {
  // biome-ignore lint/style/useShorthandFunctionType: cheaper per step as an interface (see above)
  (state: TIn, ctx: StepContext<TPerms>): TOut;
}

/** A step with its types erased, as the graph and the executor see it. */
export type AnyStepFn = (state: unknown, ctx: StepContext<Record<string, unknown>>) => unknown;

/** Exponential backoff between retries: `initial × factor^(attempt-1)`, capped at `max`. */
export interface BackoffOptions {
  /** Delay before the first retry (default 100 ms). */
  readonly initial?: Duration;
  /** Growth per retry (default 2). */
  readonly factor?: number;
  /** Upper bound of one delay (default 30 s). */
  readonly max?: Duration;
  /** Multiply each delay by a random factor in [0.5, 1) to spread retries (default false). */
  readonly jitter?: boolean;
}

/** Options shared by every named step. */
export interface StepOptions {
  /** Call `checkpoint()` on every permanence after this step succeeds. */
  readonly checkpoint?: boolean;
  /** Middleware for this step only (after those added with `.guard()`). */
  readonly guards?: readonly Guard[];
}

/** Options of an `io` step. */
export interface IoOptions extends StepOptions {
  /** Per attempt; on expiry `ctx.signal` aborts and the attempt is abandoned. */
  readonly timeout?: Duration;
  /** How many times to retry after a failure or a timeout (default 0). Never after a cancel. */
  readonly retries?: number;
  /** A fixed delay, or exponential backoff options (default: 100 ms doubling). */
  readonly backoff?: Duration | BackoffOptions;
  /** Decides whether a failure is worth retrying (default: every failure and timeout). */
  readonly retryIf?: (cause: unknown, attempt: number) => boolean;
}

/** What a guard learns about the step it wraps. */
export interface GuardInfo {
  readonly step: string;
  readonly kind: "stage" | "io" | "join" | "process";
  /**
   * Skips the step instead of running it: the state passes on unchanged and `step:end`
   * reports `skipped: true`. Meant for guards such as `mainProcessOnly` or `platform(...)`
   * around side-effect (`io`) steps whose output is their input; a skipped `stage` that
   * reshapes the state leaves later steps with the state from before it.
   */
  readonly skip: () => NextResult;
}

declare const nextBrand: unique symbol;

/**
 * What `next(state, ctx)` returns inside a guard: the wrapped step's outcome, opaque. Only
 * `next` makes one (the brand exists in types only: at runtime it is the step's own return
 * value, so branding costs nothing), so a guard that forgets to call or return `next()`
 * fails to compile.
 */
export interface NextResult {
  readonly [nextBrand]: "return next(state, ctx), an err(...), or throw";
}

/** The wrapped step as a guard sees it: calling it runs the step (and the guards inside). */
export type GuardNext = (state: unknown, ctx: StepContext<Record<string, unknown>>) => NextResult;

/**
 * What a guarded step may return: the value of `next(state, ctx)` or of `info.skip()`, or a
 * neverthrow `Err` to fail the step without running it (as does throwing); sync or async.
 */
export type GuardReturn =
  | NextResult
  | Err<never, unknown>
  | Promise<NextResult | Err<never, unknown>>
  | ResultAsync<never, unknown>;

/** A step wrapped by a guard. */
export type GuardedStep = (
  state: unknown,
  ctx: StepContext<Record<string, unknown>>,
) => GuardReturn;

/**
 * Middleware around a step: receives the next function and returns its replacement, which
 * must return `next(state, ctx)` or `info.skip()` (the types enforce it), or fail with an
 * `err(...)` or a throw, which ends the run with `step-failed` before the step runs.
 *
 * @example
 * const mainOnly: Guard = (next, info) => (state, ctx) =>
 *   isMain ? next(state, ctx) : info.skip();
 */
export type Guard = (next: GuardNext, info: GuardInfo) => GuardedStep;

/** A check run after the `through` that added it and after every later step. */
export type HookFn<TState> = (
  state: TState,
  ctx: StepContext<Record<string, unknown>>,
) => void | Promise<void>;

/** A hook with a name (shown in `hook:error` events) and, optionally, fatal failures. */
export interface HookSpec<TState> {
  readonly name: string;
  readonly run: HookFn<TState>;
  /** A failure ends the run with a `hook-failed` error instead of only an event. */
  readonly fatal?: boolean;
}

export type Hook<TState> = HookFn<TState> | HookSpec<TState>;

/** Options of `through`. */
export interface ThroughOptions<TState, TName = string> {
  /**
   * Names the step in events, `describe()`, `runStep` and `runSlice` (default `"through"`,
   * then `"through#2"`, …); must be unique like any step name.
   */
  readonly name?: TName;
  readonly hooks?: readonly Hook<TState>[];
  /** Makes every hook of this `through` fatal. */
  readonly fatalHooks?: boolean;
}
