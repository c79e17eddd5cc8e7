/**
 * The type state of a pipeline, in one record (tRPC's `_def` style). Builders replace one
 * slot at a time with {@link SetDef}.
 */
export interface PipelineDef {
  /** What `run()` takes. */
  input: unknown;
  /** The state after the last step. */
  state: unknown;
  /** Permanence name → type, read in steps with `ctx.get(name)`. */
  perms: object;
  /**
   * Permanences this pipeline expects from a pipeline that embeds it as a join
   * (`Pipeline.create<In, TNeeds>()`); `provideJoin` checks the outer pipeline has them.
   */
  needs: object;
  /** Names of joins declared by `requireJoin` and not yet provided (`never` when none). */
  openJoins: string;
  /** Every join declared so far (a union of {@link JoinSlot}). */
  joins: JoinSlot;
  /** Every named step so far (a union of {@link StepSlot}), for `override` and testing. */
  steps: StepSlot;
}

/** A named step's types: the state it receives and the state it produces. */
export interface StepSlot {
  name: string;
  in: unknown;
  out: unknown;
}

/** A join's types: what it receives, what its implementation returns, the state after it. */
export interface JoinSlot {
  name: string;
  in: unknown;
  out: unknown;
  after: unknown;
}

/** Replaces one slot of a def. */
export type SetDef<TDef extends PipelineDef, TKey extends keyof PipelineDef, TValue> = {
  [P in keyof TDef]: P extends TKey ? TValue : TDef[P];
};

/** Flattens an intersection for readable hovers. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The def of a pipeline just created with `Pipeline.create<TInput>()`. */
export interface CreateDef<TInput, TPerms extends object> {
  input: TInput;
  state: TInput;
  perms: TPerms;
  needs: TPerms;
  openJoins: never;
  joins: never;
  steps: never;
}

/** The def of a pipeline whose types are unknown (built from a config file). */
export interface AnyDef {
  input: unknown;
  state: unknown;
  perms: Record<string, unknown>;
  needs: Record<never, never>;
  openJoins: never;
  joins: JoinSlot;
  steps: StepSlot;
}
