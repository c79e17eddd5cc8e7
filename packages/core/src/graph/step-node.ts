import type { PipelineProcess } from "../process/pipeline-process.ts";
import type { AnySchema } from "../types/schema.ts";
import type { AnyStepFn, BackoffOptions, Guard, HookSpec } from "../types/step.ts";
import type { PipelineGraph } from "./pipeline-graph.ts";

/** Retry policy of an io step, normalised to milliseconds. */
export interface RetryPolicy {
  readonly retries: number;
  readonly backoff: Required<Omit<BackoffOptions, "initial" | "max">> & {
    readonly initialMs: number;
    readonly maxMs: number;
  };
  readonly retryIf?: (cause: unknown, attempt: number) => boolean;
}

interface NamedNodeBase {
  readonly name: string;
  readonly guards: readonly Guard[];
  readonly checkpoint: boolean;
}

/** A computation (`stage`) or a side effect (`io`). */
export interface FnStepNode extends NamedNodeBase {
  readonly kind: "stage" | "io";
  readonly fn: AnyStepFn;
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
}

/** Validation of the state with a Standard Schema, plus hooks for every later step. */
export interface ThroughNode {
  readonly kind: "through";
  readonly name: string;
  readonly schema: AnySchema;
  readonly hooks: readonly HookSpec<unknown>[];
}

/** How a join is filled: a step function or a whole sub-pipeline. */
export type JoinImpl =
  | { readonly kind: "fn"; readonly fn: AnyStepFn }
  | { readonly kind: "pipeline"; readonly graph: PipelineGraph };

/** A typed hole (`requireJoin`), filled by `provideJoin`. */
export interface JoinNode extends NamedNodeBase {
  readonly kind: "join";
  readonly schema?: AnySchema;
  readonly impl?: JoinImpl;
}

/** A config-driven process; its result lands in the state under `name`. */
export interface ProcessNode extends NamedNodeBase {
  readonly kind: "process";
  /** The registered type name. */
  readonly type: string;
  readonly process: PipelineProcess<unknown>;
  readonly force: boolean;
}

export type StepNode = FnStepNode | ThroughNode | JoinNode | ProcessNode;
export type NamedStepNode = FnStepNode | JoinNode | ProcessNode;

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** Options common to the named node factories; omitted ones take their defaults. */
interface NamedNodeOptions {
  readonly guards?: readonly Guard[];
  readonly checkpoint?: boolean;
}

function named(name: string, options: NamedNodeOptions): NamedNodeBase {
  return {
    name,
    guards: Object.freeze([...(options.guards ?? [])]),
    checkpoint: options.checkpoint === true,
  };
}

function frozenRetry(retry: RetryPolicy): RetryPolicy {
  return Object.freeze({ ...retry, backoff: Object.freeze({ ...retry.backoff }) });
}

/**
 * Node factories, one per kind, used by the DSL and by `buildPipeline` alike: each fills
 * the defaults and freezes the node deeply (its arrays, hook specs, retry policy, join
 * implementation), so that the graph `describe()` hands out cannot change how a pipeline
 * runs. Functions, schemas and process instances are the user's and stay as given.
 */
export const FnStepNode = Object.freeze({
  create(
    kind: "stage" | "io",
    name: string,
    fn: AnyStepFn,
    options: NamedNodeOptions & { readonly timeoutMs?: number; readonly retry?: RetryPolicy } = {},
  ): FnStepNode {
    const node: Writable<FnStepNode> = { kind, ...named(name, options), fn };
    if (options.timeoutMs !== undefined) node.timeoutMs = options.timeoutMs;
    if (options.retry !== undefined) node.retry = frozenRetry(options.retry);
    return Object.freeze(node);
  },
  /** The same step running `fn` instead (`override`). */
  cloneWithFn(node: FnStepNode, fn: AnyStepFn): FnStepNode {
    return Object.freeze({ ...node, fn });
  },
});

export const ThroughNode = Object.freeze({
  create(name: string, schema: AnySchema, hooks: readonly HookSpec<unknown>[] = []): ThroughNode {
    return Object.freeze({
      kind: "through",
      name,
      schema,
      hooks: Object.freeze(hooks.map((h) => Object.freeze({ ...h }))),
    });
  },
});

export const JoinNode = Object.freeze({
  create(name: string, options: NamedNodeOptions & { readonly schema?: AnySchema } = {}): JoinNode {
    const node: Writable<JoinNode> = { kind: "join", ...named(name, options) };
    if (options.schema !== undefined) node.schema = options.schema;
    return Object.freeze(node);
  },
  /** The join filled with `impl` (`provideJoin`). */
  cloneWithImpl(node: JoinNode, impl: JoinImpl): JoinNode {
    return Object.freeze({ ...node, impl: Object.freeze({ ...impl }) });
  },
});

export const ProcessNode = Object.freeze({
  create(
    name: string,
    type: string,
    process: PipelineProcess<unknown>,
    options: NamedNodeOptions & { readonly force?: boolean } = {},
  ): ProcessNode {
    return Object.freeze({
      kind: "process",
      ...named(name, options),
      type,
      process,
      force: options.force === true,
    });
  },
});
