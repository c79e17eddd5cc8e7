// neverthrow, re-exported so steps can return Results built with the same copy the executor reads.
export { Err, err, errAsync, Ok, ok, okAsync, Result, ResultAsync } from "neverthrow";
export { isTable, messageOf } from "./_internals/unknown-values.ts";
export { didYouMean, editDistance, nearest } from "./did-you-mean.ts";
export { type PermanenceDeps, PermanenceNode } from "./graph/permanence-node.ts";
export { PipelineGraph } from "./graph/pipeline-graph.ts";
export {
  FnStepNode,
  type JoinImpl,
  JoinNode,
  type NamedStepNode,
  ProcessNode,
  type RetryPolicy,
  type StepNode,
  ThroughNode,
} from "./graph/step-node.ts";
export {
  type AnyPipeline,
  type CreateOptions,
  type inferInput,
  type inferPermanences,
  type inferState,
  Pipeline,
  type PipelineLike,
  type RunInput,
} from "./pipeline/pipeline.ts";
export {
  buildPipeline,
  type ConfigIssue,
  formatConfigIssues,
  type PipelineConfig,
} from "./process/build-pipeline.ts";
export {
  type FunctionProcess,
  type FunctionProcessSpec,
  type ProcessClass,
  pipelineProcess,
} from "./process/function-process.ts";
export { PipelineProcess, type ProcessContext } from "./process/pipeline-process.ts";
export { type PermanenceClass, type ProcessLike, Registry } from "./process/registry.ts";
export type { RunOptions } from "./runtime/executor.ts";
export { currentRun } from "./runtime/run-context.ts";
export { InterruptedError, installSigintHandler, type SigintOptions } from "./runtime/sigint.ts";
export type { StepContext } from "./types/context.ts";
// Def, Slot and CreateDef appear in inferred pipeline types: exported so that a user's
// declaration emit can name them.
export type {
  AnyDef,
  CreateDef,
  Def,
  DefFixed,
  PipelineDef,
  Simplify,
  Slot,
  StepSlot,
} from "./types/def.ts";
export type { Duration } from "./types/duration.ts";
export type { PipelineError, PipelineErrorKind } from "./types/errors.ts";
export type {
  EventListener,
  EventOf,
  Figure,
  FigureKind,
  LifecyclePhase,
  TipiEvent,
  TipiEventType,
} from "./types/events.ts";
export type { LifecycleContext, Permanence } from "./types/permanence.ts";
export type {
  AnySchema,
  inferSchemaInput,
  inferSchemaOutput,
  StandardSchemaV1,
} from "./types/schema.ts";
export type {
  AnyStepFn,
  BackoffOptions,
  Guard,
  GuardedStep,
  GuardInfo,
  GuardNext,
  GuardReturn,
  Hook,
  HookFn,
  HookSpec,
  IoOptions,
  inferStepOutput,
  NextResult,
  StepFn,
  StepOptions,
  StepReturn,
  ThroughOptions,
} from "./types/step.ts";
export type { PipelineTypeError } from "./types/type-error.ts";
