import type { LifecycleContext } from "../types/permanence.ts";
import type { PipelineTypeError } from "../types/type-error.ts";

/** What a permanence factory receives: the permanences created before it. */
export interface PermanenceDeps<TPerms extends object = Record<string, unknown>> {
  get<K extends keyof TPerms & string>(name: K): TPerms[K];
  /** Whether a permanence named `name` exists (the types cannot know, in untyped pipelines). */
  has(name: string): boolean;
}

type LifecycleMethod = (ctx: LifecycleContext) => unknown;

/** Near-miss names of lifecycle methods, each typed as the message that corrects it. */
type Misspelt<TNames extends string, TMethod extends string> = {
  readonly [K in TNames]?: PipelineTypeError<`"${K}" is not a lifecycle method: did you mean "${TMethod}"?`>;
};

/**
 * What a factory may create: a plain value, or an object whose lifecycle methods, if any,
 * are functions with their exact names (a misspelt `cleanUp` would never be called).
 */
export type PermanenceValue =
  | string
  | number
  | boolean
  | bigint
  | symbol
  | null
  | undefined
  | (object & {
      readonly initialize?: LifecycleMethod;
      readonly validate?: LifecycleMethod;
      readonly checkpoint?: LifecycleMethod;
      readonly restore?: LifecycleMethod;
      readonly cleanup?: LifecycleMethod;
      /** A permanence is not a promise: the factory's promise is awaited. */
      readonly then?: never;
    } & Misspelt<"cleanUp" | "CleanUp" | "Cleanup" | "clean_up" | "cleanUP", "cleanup"> &
      Misspelt<"initialise" | "Initialize" | "Initialise" | "initialze", "initialize"> &
      Misspelt<"Validate" | "valdiate", "validate"> &
      Misspelt<"checkPoint" | "Checkpoint" | "CheckPoint", "checkpoint"> &
      Misspelt<"Restore" | "restor", "restore">);

/** A permanence factory: may use the permanences `TPerms` provided before it. */
export type PermanenceFactory<TPerms extends object> = (
  deps: PermanenceDeps<TPerms>,
) => PermanenceValue | Promise<PermanenceValue>;

/** A factory with its types erased. */
export type AnyPermanenceFactory = (deps: PermanenceDeps) => unknown;

/** One `provide` entry: created, initialised and validated in order, cleaned up in reverse. */
export interface PermanenceNode {
  readonly name: string;
  readonly factory: AnyPermanenceFactory;
  /** The registered type name, for config-built pipelines. */
  readonly type?: string;
}

/** Creates a frozen {@link PermanenceNode} (used by `provide` and `buildPipeline`). */
export const PermanenceNode = Object.freeze({
  create(name: string, factory: AnyPermanenceFactory, type?: string): PermanenceNode {
    return Object.freeze(type === undefined ? { name, factory } : { name, factory, type });
  },
});
