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
