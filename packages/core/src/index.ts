export { PipelineProcess, type ProcessContext } from "./process/pipeline-process.ts";
export type { StepContext } from "./types/context.ts";
export type { PipelineError, PipelineErrorKind } from "./types/errors.ts";
export type {
  EventListener,
  EventOf,
  LifecyclePhase,
  TipiEvent,
  TipiEventType,
} from "./types/events.ts";
export type { LifecycleContext, Permanence } from "./types/permanence.ts";
