import type { ResultAsync } from "neverthrow";
import { toMs } from "../_internals/duration.ts";
import {
  type AnyPermanenceFactory,
  type PermanenceFactory,
  PermanenceNode,
} from "../graph/permanence-node.ts";
import { PipelineGraph } from "../graph/pipeline-graph.ts";
import {
  FnStepNode,
  JoinNode,
  type RetryPolicy,
  type StepNode,
  ThroughNode,
} from "../graph/step-node.ts";
import { type RunOptions, runGraph } from "../runtime/executor.ts";
import type {
  AddSlot,
  AnyDef,
  CreateDef,
  Def,
  DefFixed,
  IsUntyped,
  inferSlotInput,
  inferSlotOutput,
  inferStepSlot,
  PipelineDef,
  Simplify,
  Slot,
  SlotField,
  StepSlot,
  WithOpenJoins,
  WithPerms,
} from "../types/def.ts";
import type { PipelineError } from "../types/errors.ts";
import type { AnySchema, inferSchemaInput, inferSchemaOutput } from "../types/schema.ts";
import type {
  AnyStepFn,
  Guard,
  Hook,
  HookSpec,
  IoOptions,
  inferStepOutput,
  StepFn,
  StepOptions,
  StepReturn,
  ThroughOptions,
} from "../types/step.ts";
import type { PipelineTypeError } from "../types/type-error.ts";

/**
 * A name for a new step: itself, or an error when a step or join already has it. The check
 * type is `TName & string` rather than `[TName]` (both non-distributive): a tuple makes
 * TypeScript build an `Array` of the name per step.
 */
type UniqueName<TNames, TName extends string> = TName & string extends TNames
  ? // `NoInfer`: TypeScript infers the name from the argument without walking this branch.
    // Tested second: a literal against a union of literals is a lookup, this is a scan.
    NoInfer<
      IsUntyped<TNames> extends true
        ? TName
        : PipelineTypeError<`a step or join named "${TName}" already exists: names must be unique`>
    >
  : TName;

/** What `through` names a step without `options.name`: `through`, then `through#2`, … */
type ThroughName<TNames extends string> =
  IsUntyped<TNames> extends true
    ? string
    : "through" extends TNames
      ? `through#${number}`
      : "through";

/** `unknown` when a schema can accept the state (or narrow it), else an error. */
type CheckThrough<TState, TSchema extends AnySchema> = [TState] extends [inferSchemaInput<TSchema>]
  ? unknown
  : [inferSchemaInput<TSchema>] extends [TState]
    ? unknown
    : PipelineTypeError<
        "through(): the schema's input type cannot accept the state, so validation would always fail",
        { state: TState; schemaInput: inferSchemaInput<TSchema> }
      >;

/** The join named `TName` when it is open, else an error saying why not. */
type OpenJoinName<TDef extends PipelineDef, TName extends string> =
  IsUntyped<TDef["names"]> extends true
    ? TName
    : [TName] extends [TDef["openJoins"]]
      ? TName
      : IsJoin<inferStepSlot<TDef["steps"], TName>> extends true
        ? PipelineTypeError<`join "${TName}" is already provided: a join is filled once (call provideJoin on the pipeline from before it was filled)`>
        : PipelineTypeError<`no open join named "${TName}"`, { openJoins: TDef["openJoins"] }>;
type IsJoin<TSlot> =
  SlotField<TSlot, "kind"> extends never
    ? false
    : SlotField<TSlot, "kind"> extends "join"
      ? true
      : false;

/** What a join's step function may return; the message shows when it returns another type. */
type JoinError<TName extends string, TSlot> =
  SlotField<TSlot, "kind"> extends never
    ? never
    : SlotField<TSlot, "out"> extends never
      ? PipelineTypeError<`join "${TName}" has no schema, so requireJoin("${TName}") keeps the state's type: to change it, declare requireJoin("${TName}", schema)`>
      : PipelineTypeError<`join "${TName}" must return its schema's input type`>;

type JoinFn<TDef extends PipelineDef, TName extends string> = StepFn<
  inferSlotInput<inferStepSlot<TDef["steps"], TName>, TDef["input"]>,
  | StepReturn<inferSlotOutput<inferStepSlot<TDef["steps"], TName>>>
  | JoinError<TName, inferStepSlot<TDef["steps"], TName>>,
  TDef["perms"]
>;

/** A sub-pipeline that fits join `TName`, or never (for a step function). */
type SubPipelineFor<TDef extends PipelineDef, TName extends string, TSub> = TSub extends PipelineDef
  ? { readonly "~def": TSub; describe(): PipelineGraph } & CheckSubPipeline<
      TSub,
      TName,
      inferSlotInput<inferStepSlot<TDef["steps"], TName>, TDef["input"]>,
      inferSlotOutput<inferStepSlot<TDef["steps"], TName>>,
      TDef["perms"]
    >
  : never;

/** `unknown` when `run()` may be called; the error names the joins still open. */
type RunThis<TDef extends PipelineDef> =
  IsUntyped<TDef["names"]> extends true
    ? unknown
    : [TDef["openJoins"]] extends [never]
      ? unknown
      : PipelineTypeError<`join "${TDef["openJoins"]}" needs provideJoin() before run()`>;

/** `run()`'s parameters: optional while a join is open, so that `this` reports it alone. */
type RunArgs<TDef extends PipelineDef> =
  RunThis<TDef> extends PipelineTypeError<string>
    ? [input?: TDef["input"], options?: RunOptions]
    : [input: TDef["input"], options?: RunOptions];

/** The argument `run()` takes: the input, or a readable error naming the unfilled joins. */
export type RunInput<TDef extends PipelineDef> =
  RunThis<TDef> extends PipelineTypeError<infer M> ? PipelineTypeError<M> : TDef["input"];

/** Anything that carries a pipeline's types and graph (a `Pipeline` of any def). */
export interface PipelineLike {
  readonly "~def": PipelineDef;
  describe(): PipelineGraph;
}

/** Checks a sub-pipeline against the join it fills; `unknown` when it fits. */
type CheckSubPipeline<
  TSub extends PipelineDef,
  TName extends string,
  TIn,
  TOut,
  TOuterPerms extends object,
> = [TSub["openJoins"]] extends [never]
  ? [TIn] extends [TSub["input"]]
    ? [TSub["state"]] extends [TOut]
      ? [TOuterPerms] extends [TSub["needs"]]
        ? unknown
        : PipelineTypeError<`join "${TName}": the sub-pipeline needs permanences "${Exclude<keyof TSub["needs"], keyof TOuterPerms> & string}" that this pipeline does not provide`>
      : PipelineTypeError<
          `join "${TName}": the sub-pipeline's final state does not fit the join`,
          { expected: TOut; given: TSub["state"] }
        >
    : PipelineTypeError<
        `join "${TName}": the sub-pipeline's input does not accept the state at the join`,
        { expected: TSub["input"]; given: TIn }
      >
  : PipelineTypeError<`join "${TName}": the sub-pipeline has an unfilled join "${TSub["openJoins"]}"`>;

/** The permanence types a `provide` call adds. */
type Provided<TProviders> = {
  [K in keyof TProviders]: TProviders[K] extends (...args: never[]) => infer R ? Awaited<R> : never;
};

/** `unknown` unless an `io` option literal is negative (a timeout, `retries`). */
type CheckIoOptions<TOptions> = TOptions extends { timeout: infer T }
  ? IsNegative<T> extends true
    ? PipelineTypeError<`io(): timeout must not be negative`>
    : CheckRetries<TOptions>
  : CheckRetries<TOptions>;
type CheckRetries<TOptions> = TOptions extends { retries: infer R }
  ? IsNegative<R> extends true
    ? PipelineTypeError<`io(): retries must not be negative`>
    : unknown
  : unknown;
type IsNegative<T> = T extends number | string
  ? `${T}` extends `-${string}`
    ? true
    : false
  : false;

/**
 * The builder methods every pipeline has, except `through` (whose `$Def` keeps its `= TDef`
 * default for `through<Schema>` with explicit type arguments) and those that read `TDef`.
 * A non-generic interface that {@link Pipeline} extends, so that their signatures mention
 * neither `Pipeline`'s `TDef` nor its `this` type: TypeScript then shares one copy of each
 * among all pipelines instead of instantiating every one again for each step's new
 * `Pipeline<…>` (about 100 instantiations a step). The def is inferred from `this`, as
 * `types/def.ts` explains.
 *
 * `stage` and `io`, called once per step, infer the def's four parts from `this` instead
 * of a whole `$Def extends PipelineDef`, and write the new `Def` in their return type:
 * - no constraint on a type that holds the steps: checking one makes TypeScript relate the
 *   def to `PipelineDef` and, to key that relation, walk every earlier step's `Slot`;
 * - `$Names` has no `string` constraint (checking it relates every name to `string`);
 * - `$Names` is declared before `$Name`: TypeScript orders the members of `$Names | $Name`
 *   by type id, and with the new name last each earlier name is appended to the new
 *   union, not found by a binary search.
 */
interface PipelineMethods {
  /**
   * Adds permanences (long-lived context: device, logger, data). Each factory receives the
   * permanences provided by earlier `provide` calls; steps read them with `ctx.get(name)`.
   * A name provided again replaces the earlier permanence (its type too). Lifecycle methods
   * must be functions, and misspelt ones (`cleanUp`) do not compile.
   * @example
   * Pipeline.create().provide({ clock: () => new Clock() }).provide({ timer: (d) => new Timer(d.get("clock")) })
   */
  provide<
    $Def extends PipelineDef,
    $Providers extends Record<string, PermanenceFactory<$Def["perms"]>> = Record<
      string,
      PermanenceFactory<$Def["perms"]>
    >,
  >(
    this: Pipeline<$Def>,
    providers: $Providers,
  ): Pipeline<
    WithPerms<$Def, Simplify<Omit<$Def["perms"], keyof $Providers> & Provided<$Providers>>>
  >;

  /**
   * Declares a typed hole filled later by {@link Pipeline.provideJoin}. With a schema, the
   * implementation's result is validated and the state becomes the schema's output;
   * without one, the implementation must keep the state's type.
   */
  requireJoin<const $Name extends string, $Def extends PipelineDef>(
    this: Pipeline<$Def>,
    name: UniqueName<$Def["names"], $Name>,
  ): Pipeline<AddSlot<$Def, $Name, "join", never, $Def["state"], $Name>>;
  requireJoin<const $Name extends string, $Schema extends AnySchema, $Def extends PipelineDef>(
    this: Pipeline<$Def>,
    name: UniqueName<$Def["names"], $Name>,
    schema: $Schema,
    options?: StepOptions,
  ): Pipeline<
    AddSlot<$Def, $Name, "join", inferSchemaInput<$Schema>, inferSchemaOutput<$Schema>, $Name>
  >;

  /**
   * Fills an open join with a step function, or with a sub-pipeline whose input is the
   * state at the join (its steps report as `join/step`; its permanences live for the join
   * only and it can read the outer ones). Returns a new pipeline; this one is unchanged.
   * A join is filled once.
   * @example
   * base.provideJoin("train", async (state, ctx) => ({ ...state, accuracy: await fit(state) }))
   */
  provideJoin<const $Name extends string, $Def extends PipelineDef, $SubDef = never>(
    this: Pipeline<$Def>,
    name: OpenJoinName<$Def, $Name>,
    impl: JoinFn<$Def, $Name> | SubPipelineFor<$Def, $Name, $SubDef>,
  ): Pipeline<WithOpenJoins<$Def, Exclude<$Def["openJoins"], $Name>>>;

  /** Replaces a named `stage`/`io` step with a function of the same input and output types. */
  override<$Name extends $Def["names"], $Def extends PipelineDef>(
    this: Pipeline<$Def>,
    name: $Name,
    fn: StepFn<
      inferSlotInput<inferStepSlot<$Def["steps"], $Name>, $Def["input"]>,
      StepReturn<inferSlotOutput<inferStepSlot<$Def["steps"], $Name>>>,
      $Def["perms"]
    >,
  ): Pipeline<$Def>;

  /**
   * Adds a computation step. The state becomes what `fn` returns (promises and neverthrow
   * results are unwrapped; an `Err` or a throw fails the run with `step-failed`).
   * @example
   * Pipeline.create<{ n: number }>().stage("double", (s) => ({ n: s.n * 2 }))
   */
  stage<$Names, const $Name extends string, $Return, $State, $Fixed extends DefFixed, $Steps>(
    this: Pipeline<Def<$State, $Fixed, $Names, $Steps>>,
    name: UniqueName<$Names, $Name>,
    fn: StepFn<$State, $Return, $Fixed["perms"]>,
    options?: StepOptions,
  ): Pipeline<
    Def<
      inferStepOutput<$Return>,
      $Fixed,
      $Names | $Name,
      Slot<$Name, "step", never, inferStepOutput<$Return>, $Steps>
    >
  >;

  /**
   * Adds a side-effecting step; `timeout` aborts `ctx.signal` and abandons the attempt,
   * `retries` retries with backoff (`step:retry` events).
   * @example
   * Pipeline.create<{ path: string }>().io("save", saveModel, { timeout: "30s", retries: 2 })
   */
  io<
    $Names,
    const $Name extends string,
    $Return,
    $State,
    $Fixed extends DefFixed,
    $Steps,
    const $Options extends IoOptions = IoOptions,
  >(
    this: Pipeline<Def<$State, $Fixed, $Names, $Steps>>,
    name: UniqueName<$Names, $Name>,
    fn: StepFn<$State, $Return, $Fixed["perms"]>,
    options?: $Options & CheckIoOptions<$Options>,
  ): Pipeline<
    Def<
      inferStepOutput<$Return>,
      $Fixed,
      $Names | $Name,
      Slot<$Name, "step", never, inferStepOutput<$Return>, $Steps>
    >
  >;
}

/**
 * A typed, immutable pipeline: each method returns a new pipeline, and the state type after
 * each step is what that step returns. Run it with {@link Pipeline.run}.
 *
 * Builder methods throw a `TypeError` for what the types cannot rule out (a duplicate step
 * name or an unknown join in a pipeline whose names are not known statically, `retries`
 * that is not a whole number, a malformed duration): such a mistake is a bug in the code
 * that builds the pipeline, found as soon as it runs. Input from outside (config files)
 * goes through `buildPipeline`, which returns a `Result` listing every problem instead, and
 * `run()` never throws.
 *
 * @example
 * const p = Pipeline.create<{ n: number }>()
 *   .stage("double", (s) => ({ n: s.n * 2 }))
 *   .io("log", (s, ctx) => { ctx.emit({ type: "log", level: "info", message: `${s.n}` }); return s; });
 * const result = await p.run({ n: 2 }); // Result<{ n: number }, PipelineError>
 */
export interface Pipeline<TDef extends PipelineDef> extends PipelineMethods {
  /** @internal The type state (no runtime value). */
  readonly "~def": TDef;

  /**
   * Validates the state with any Standard Schema (zod, valibot, arktype…) and narrows it to
   * the schema's output type. A schema whose input type cannot accept the state does not
   * compile. Hooks run now and after every later step; a failing hook is a `hook:error`
   * event, and ends the run when fatal. The step is named `options.name`, or `through`,
   * `through#2`, … in order.
   * @example
   * Pipeline.create<unknown>().through(z.object({ lr: z.number() }), { name: "config" })
   */
  through<
    $Schema extends AnySchema,
    $Def extends PipelineDef = TDef,
    const $Name extends string = ThroughName<$Def["names"]>,
  >(
    this: Pipeline<$Def>,
    schema: $Schema & CheckThrough<$Def["state"], $Schema>,
    options?: ThroughOptions<inferSchemaOutput<$Schema>, UniqueName<$Def["names"], $Name>>,
  ): Pipeline<AddSlot<$Def, $Name, "through", never, inferSchemaOutput<$Schema>, never>>;

  /**
   * Wraps every later step in middleware (`(next, info) => (state, ctx) => …`). For one step
   * only, use the step's `guards` option.
   */
  guard(...guards: readonly Guard[]): Pipeline<TDef>;

  /**
   * Runs the pipeline. Never throws or rejects: the result is `Ok(finalState)` or
   * `Err(PipelineError)`. A pipeline with an unfilled join does not compile: the error
   * names the join and `provideJoin`.
   */
  run(this: RunThis<TDef>, ...args: RunArgs<TDef>): ResultAsync<TDef["state"], PipelineError>;

  /** The pipeline as plain, deeply frozen data: steps, kinds, joins, schemas, permanences. */
  describe(): PipelineGraph;
}

/** A pipeline whose types are unknown (e.g. built from a config file). */
export type AnyPipeline = Pipeline<AnyDef>;

/** The state type a pipeline produces. */
export type inferState<TPipeline extends PipelineLike> = TPipeline["~def"]["state"];
/** The input type a pipeline's `run()` takes. */
export type inferInput<TPipeline extends PipelineLike> = TPipeline["~def"]["input"];
/** The permanence types a pipeline provides. */
export type inferPermanences<TPipeline extends PipelineLike> = TPipeline["~def"]["perms"];

/** @internal What one `Pipeline` holds: the graph plus the guards for later steps. */
interface BuilderDef {
  readonly graph: PipelineGraph;
  readonly guards: readonly Guard[];
}

function normaliseHooks(hooks: readonly Hook<never>[], fatalAll: boolean): HookSpec<unknown>[] {
  return hooks.map((hook, i) => {
    if (typeof hook === "function") {
      return {
        name: hook.name || `hook#${i + 1}`,
        run: hook as HookSpec<unknown>["run"],
        fatal: fatalAll,
      };
    }
    return {
      name: hook.name,
      run: hook.run as HookSpec<unknown>["run"],
      fatal: fatalAll || hook.fatal === true,
    };
  });
}

/** Throws a TypeError for `retries` that is not a non-negative integer (NaN retried forever). */
function retryPolicy(options: IoOptions): RetryPolicy | undefined {
  const retries = options.retries;
  if (retries === undefined || retries === 0) return undefined;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new TypeError(`invalid retries ${retries}: use a whole number ≥ 0`);
  }
  const b = options.backoff;
  const spec = typeof b === "object" ? b : { initial: b ?? 100 };
  const initialMs = toMs(spec.initial ?? 100);
  return {
    retries,
    backoff: {
      initialMs,
      factor: typeof b === "object" ? (b.factor ?? 2) : b === undefined ? 2 : 1,
      // A fixed delay is used as given; only growing delays are capped (default 30 s).
      maxMs:
        typeof b === "object"
          ? toMs(b.max ?? Math.max(30_000, initialMs))
          : b === undefined
            ? 30_000
            : initialMs,
      jitter: typeof b === "object" && b.jitter === true,
    },
    ...(options.retryIf === undefined ? {} : { retryIf: options.retryIf }),
  };
}

/** @internal The implementation behind the {@link Pipeline} interface; types are erased. */
class PipelineImpl {
  readonly #def: BuilderDef;

  constructor(def: BuilderDef) {
    this.#def = Object.freeze(def);
  }

  #withGraph(graph: PipelineGraph): PipelineImpl {
    return new PipelineImpl({ ...this.#def, graph });
  }

  #withStep(node: StepNode): PipelineImpl {
    return this.#withGraph(PipelineGraph.cloneWithStep(this.#def.graph, node));
  }

  /** `through`, then `through#2`, `through#3`… so that step events stay distinguishable. */
  #nextThroughName(): string {
    const count = this.#def.graph.steps.filter((s) => s.kind === "through").length;
    return count === 0 ? "through" : `through#${count + 1}`;
  }

  provide(providers: Record<string, AnyPermanenceFactory>): PipelineImpl {
    const nodes = Object.entries(providers).map(([name, factory]) =>
      PermanenceNode.create(name, factory),
    );
    return this.#withGraph(PipelineGraph.cloneWithPermanences(this.#def.graph, nodes));
  }

  #guards(options: StepOptions): readonly Guard[] {
    const own = options.guards ?? [];
    return own.length === 0 ? this.#def.guards : [...this.#def.guards, ...own];
  }

  stage(name: string, fn: AnyStepFn, options: StepOptions = {}): PipelineImpl {
    return this.#withStep(
      FnStepNode.create("stage", name, fn, {
        guards: this.#guards(options),
        checkpoint: options.checkpoint === true,
      }),
    );
  }

  io(name: string, fn: AnyStepFn, options: IoOptions = {}): PipelineImpl {
    const retry = retryPolicy(options);
    return this.#withStep(
      FnStepNode.create("io", name, fn, {
        guards: this.#guards(options),
        checkpoint: options.checkpoint === true,
        ...(options.timeout === undefined ? {} : { timeoutMs: toMs(options.timeout) }),
        ...(retry === undefined ? {} : { retry }),
      }),
    );
  }

  through(schema: AnySchema, options: ThroughOptions<never> = {}): PipelineImpl {
    return this.#withStep(
      ThroughNode.create(
        options.name ?? this.#nextThroughName(),
        schema,
        normaliseHooks(options.hooks ?? [], options.fatalHooks === true),
      ),
    );
  }

  guard(...guards: readonly Guard[]): PipelineImpl {
    return new PipelineImpl({
      ...this.#def,
      guards: Object.freeze([...this.#def.guards, ...guards]),
    });
  }

  requireJoin(name: string, schema?: AnySchema, options: StepOptions = {}): PipelineImpl {
    return this.#withStep(
      JoinNode.create(name, {
        guards: this.#guards(options),
        checkpoint: options.checkpoint === true,
        ...(schema === undefined ? {} : { schema }),
      }),
    );
  }

  provideJoin(name: string, impl: AnyStepFn | PipelineLike): PipelineImpl {
    const join =
      typeof impl === "function"
        ? ({ kind: "fn", fn: impl } as const)
        : ({ kind: "pipeline", graph: impl.describe() } as const);
    return this.#withGraph(PipelineGraph.cloneWithJoinImpl(this.#def.graph, name, join));
  }

  override(name: string, fn: AnyStepFn): PipelineImpl {
    return this.#withGraph(
      PipelineGraph.cloneWithReplacedStep(this.#def.graph, name, (node) => {
        if (node.kind !== "stage" && node.kind !== "io") {
          throw new TypeError(`override("${name}"): a ${node.kind} step cannot be overridden`);
        }
        return FnStepNode.cloneWithFn(node, fn);
      }),
    );
  }

  run(input: unknown, options?: RunOptions): ResultAsync<unknown, PipelineError> {
    return runGraph(this.#def.graph, input, options);
  }

  describe(): PipelineGraph {
    return this.#def.graph;
  }
}

/** @internal Wraps a graph (e.g. one built from a config file) in the pipeline facade. */
export function pipelineFromGraph<TDef extends PipelineDef = AnyDef>(
  graph: PipelineGraph,
): Pipeline<TDef> {
  return new PipelineImpl({ graph, guards: [] }) as unknown as Pipeline<TDef>;
}

/** Options of {@link Pipeline.create}. */
export interface CreateOptions {
  /** Shown in events (`run:start`), `describe()` and run directories (default `"pipeline"`). */
  readonly name?: string;
}

/** Entry point of the DSL. */
export const Pipeline = Object.freeze({
  /**
   * Starts an empty pipeline whose `run()` takes `TInput`. `TPerms` declares permanences a
   * sub-pipeline expects from the pipeline that embeds it: its steps can `ctx.get` them,
   * and `provideJoin` only accepts it in a pipeline that provides them.
   * @example
   * const p = Pipeline.create<{ configPath: string }>({ name: "train" });
   */
  create<TInput = void, TPerms extends object = Record<never, never>>(
    options: CreateOptions = {},
  ): Pipeline<CreateDef<TInput, TPerms>> {
    return pipelineFromGraph(PipelineGraph.create(options.name ?? "pipeline"));
  },
});

export type { RunOptions, StepSlot };
