/**
 * The type state of a pipeline, in one record (tRPC's `_def` style). Each builder returns a
 * new `Def` that differs from the one before in the slots it changes.
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
   * The named steps, newest first, as a linked list of {@link StepSlot}s (`never` when
   * none). A list rather than a union: appending to it does not copy the earlier entries,
   * so type-checking cost stays linear in the number of steps. Typed `unknown`, not
   * `StepSlot`: checking a list against a constraint walks every step in it, so nothing
   * that holds the list is given one (see `PipelineMethods` in `pipeline/pipeline.ts`).
   */
  steps: unknown;
}

/**
 * One named step's types: its name and kind, the state after it (`after`), for a join with a
 * schema what its implementation returns (`out`; `never` otherwise), and the step before it
 * (`prev`; `never` for the first). The state a step receives is the `after` of `prev`.
 */
export interface StepSlot {
  name: string;
  kind: "step" | "join" | "through";
  out: unknown;
  after: unknown;
  prev: unknown;
}

/**
 * The {@link StepSlot} of one step, as the DSL records it. An interface with its types as
 * arguments, not an object literal: TypeScript resolves the arguments once, so a longer
 * list costs nothing more to carry through later steps.
 */
export interface Slot<TName extends string, TKind extends StepSlot["kind"], TOut, TAfter, TPrev>
  extends StepSlot {
  name: TName;
  kind: TKind;
  out: TOut;
  after: TAfter;
  prev: TPrev;
}

/**
 * The slots of a def that `stage` and `io` leave as they are: the input, the permanences,
 * the needs and the open joins. Each step's {@link Def} shares the record of the step
 * before it, so a step makes and infers four type arguments, not seven.
 */
export interface DefFixed<
  TInput = unknown,
  TPerms extends object = object,
  TNeeds extends object = object,
  TOpenJoins extends string = string,
> {
  input: TInput;
  perms: TPerms;
  needs: TNeeds;
  openJoins: TOpenJoins;
}

/**
 * A typed pipeline's def, as the DSL builds it: the state first (what a hover shows first),
 * the unchanged slots in one {@link DefFixed}, the names and the steps. `TNames` has no
 * constraint (read as `names`, it is `TNames & string`): `stage` and `io` infer it from the
 * pipeline, and a `string` constraint would make TypeScript relate every name in the union
 * to `string` again at each step.
 */
export interface Def<TState, TFixed extends DefFixed, TNames, TSteps> {
  state: TState;
  /** The slots that `stage` and `io` leave as they are, by reference. */
  fixed: TFixed;
  input: TFixed["input"];
  perms: TFixed["perms"];
  needs: TFixed["needs"];
  openJoins: TFixed["openJoins"];
  names: TNames & string;
  steps: TSteps;
}

/**
 * The def after appending a named step whose state afterwards is `TAfter`.
 *
 * Why it is written this way (each keeps type-checking linear in the number of steps):
 * the trivial conditional makes TypeScript resolve the `Def` reference's arguments at once
 * (a type alias whose body is a bare reference is resolved lazily, through a chain of
 * mappers one level deeper per step); its check type is the name, never the def, because
 * checking a conditional walks its check type; and the builder methods read the def
 * through their own `$Def` (inferred from `this`), never through the interface's `TDef`,
 * because TypeScript re-instantiates a type reached through the interface's mapper and
 * that walks every earlier step. The check is `TName & string`, not `[TName]`: an
 * intersection keeps it non-distributive like a tuple does, and a tuple costs a new
 * `Array<TName>` (with its members) per step. (`stage` and `io`, called for every step,
 * build their def in their return type instead, from the parts they infer: see
 * `PipelineMethods` in `pipeline/pipeline.ts`.)
 */
export type AddSlot<
  TDef extends PipelineDef,
  TName extends string,
  TKind extends StepSlot["kind"],
  TOut,
  TAfter,
  TOpen extends string,
> = TName & string extends string
  ? Def<
      TAfter,
      DefFixed<TDef["input"], TDef["perms"], TDef["needs"], TDef["openJoins"] | TOpen>,
      TDef["names"] | TName,
      Slot<TName, TKind, TOut, TAfter, TDef["steps"]>
    >
  : never;

/** The def with other permanences. */
export type WithPerms<TDef extends PipelineDef, TPerms extends object> = [TPerms] extends [object]
  ? Def<
      TDef["state"],
      DefFixed<TDef["input"], TPerms, TDef["needs"], TDef["openJoins"]>,
      TDef["names"],
      TDef["steps"]
    >
  : never;

/** The def with other open joins. */
export type WithOpenJoins<TDef extends PipelineDef, TOpen extends string> = [TOpen] extends [string]
  ? Def<
      TDef["state"],
      DefFixed<TDef["input"], TDef["perms"], TDef["needs"], TOpen>,
      TDef["names"],
      TDef["steps"]
    >
  : never;

/** Flattens an intersection for readable hovers. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The def of a pipeline just created with `Pipeline.create<TInput>()`. */
export interface CreateDef<TInput, TPerms extends object>
  extends Def<TInput, DefFixed<TInput, TPerms, TPerms, never>, never, never> {
  names: never;
  steps: never;
}

/** The def of a pipeline whose types are unknown (built from a config file). */
export interface AnyDef
  extends Def<
    unknown,
    DefFixed<unknown, Record<string, unknown>, Record<never, never>, string>,
    string,
    StepSlot
  > {
  names: string;
  steps: StepSlot;
}

/**
 * Field `TKey` of a slot (`never` for `never`). The helpers below read slots through it and
 * only ever test names and kinds, never a slot itself: TypeScript walks the check type of a
 * conditional (and the parts of an intersection), and a slot leads to every step before it.
 * (Nor inside `[…]`: a tuple of an alias is resolved lazily, which walks the slot too.)
 */
export type SlotField<TSlot, TKey extends keyof StepSlot> = TSlot[TKey & keyof TSlot];

/** The slot of the step named `TName` (a literal name, or `string` in untyped pipelines). */
export type inferStepSlot<TSlot, TName> =
  SlotField<TSlot, "name"> extends never
    ? never
    : TName & string extends SlotField<TSlot, "name">
      ? TSlot
      : inferStepSlot<SlotField<TSlot, "prev">, TName>;

/** True when a def's names are not known (an untyped, config-built pipeline). */
export type IsUntyped<TNames> = string extends TNames ? true : false;

/** The state the step in `TSlot` receives: the state after the step before it, or `TInput`. */
export type inferSlotInput<TSlot, TInput = unknown> =
  SlotField<TSlot, "kind"> extends never
    ? never
    : SlotField<SlotField<TSlot, "prev">, "kind"> extends never
      ? TInput
      : SlotField<SlotField<TSlot, "prev">, "after">;

/** What the step in `TSlot` returns (for a join with a schema: what its implementation returns). */
export type inferSlotOutput<TSlot> =
  SlotField<TSlot, "out"> extends never ? SlotField<TSlot, "after"> : SlotField<TSlot, "out">;
