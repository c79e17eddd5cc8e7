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
  /** Every step, join and `through` name so far (`string` in untyped pipelines). */
  names: string;
  /**
   * The named steps, newest first, as a linked list of {@link StepSlot}s. A list rather
   * than a union: appending to it does not re-instantiate the earlier entries, so
   * type-checking cost stays linear in the number of steps.
   */
  steps: StepSlot;
}

/**
 * One named step's types: the state it receives (`in`), the state after it (`after`) and,
 * for a join with a schema, what its implementation returns (`out`; `never` otherwise).
 */
export interface StepSlot {
  name: string;
  kind: "step" | "join" | "through";
  in: unknown;
  out: unknown;
  after: unknown;
}

/** @deprecated Joins are {@link StepSlot}s of kind `"join"`. */
export type JoinSlot = StepSlot;

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
  names: never;
  steps: never;
}

/** The def of a pipeline whose types are unknown (built from a config file). */
export interface AnyDef {
  input: unknown;
  state: unknown;
  perms: Record<string, unknown>;
  needs: Record<never, never>;
  openJoins: string;
  names: string;
  steps: StepSlot;
}

/** The slot of the step named `TName` (a literal name, or `string` in untyped pipelines). */
export type inferStepSlot<TSlot, TName> = TSlot extends { name: infer N }
  ? TName extends N
    ? TSlot
    : never
  : never;

/** True when a def's names are not known (an untyped, config-built pipeline). */
export type IsUntyped<TNames> = string extends TNames ? true : false;

/** The state the step in `TSlot` receives. */
export type inferSlotInput<TSlot, _TInput = unknown> = TSlot extends { in: infer I } ? I : never;

/** What the step in `TSlot` returns (for a join with a schema: what its implementation returns). */
export type inferSlotOutput<TSlot> = TSlot extends { out: infer O; after: infer A }
  ? [O] extends [never]
    ? A
    : O
  : never;
