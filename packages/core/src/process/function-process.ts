import { currentRun } from "../runtime/run-context.ts";
import { validateWith } from "../runtime/schema-validation.ts";
import type { AnySchema, inferSchemaInput, inferSchemaOutput } from "../types/schema.ts";
import { PipelineProcess, type ProcessContext } from "./pipeline-process.ts";

/** A process class as the registry stores it. */
export interface ProcessClass<TParams = unknown> {
  new (params: TParams, force?: boolean): PipelineProcess<unknown>;
  readonly params?: AnySchema;
}

/**
 * A function made into a process by {@link pipelineProcess}: call it directly in a script,
 * or register it and use it from a config file.
 */
export interface FunctionProcess<TParamsIn, TParams, TResult> {
  /**
   * Runs the function. `params` are validated (and defaulted) with the schema, and invalid
   * ones throw a `TypeError` listing every issue (a config-built pipeline reports them as
   * config issues before this); `ctx` defaults to the running step's context, or a
   * detached one outside a pipeline.
   */
  (params: TParamsIn, ctx?: ProcessContext): TResult;
  readonly processName: string;
  readonly params: AnySchema | undefined;
  /** The same function as a {@link PipelineProcess} class, for the registry. */
  readonly ProcessClass: ProcessClass<TParams>;
}

/** The spec of a function process. */
export interface FunctionProcessSpec<TSchema extends AnySchema | undefined> {
  readonly name: string;
  readonly params?: TSchema;
}

type ParamsIn<TSchema> = TSchema extends AnySchema ? inferSchemaInput<TSchema> : undefined;
type ParamsOut<TSchema> = TSchema extends AnySchema ? inferSchemaOutput<TSchema> : undefined;

/** @internal A context for a process called outside any pipeline. */
function detachedContext(step: string): ProcessContext {
  return {
    get(name: string): never {
      throw new Error(`"${step}" is not running inside a pipeline: no permanence "${name}"`);
    },
    has: () => false,
    signal: new AbortController().signal,
    step,
    runId: "detached",
    emit() {},
  };
}

function parseParams(schema: AnySchema | undefined, params: unknown, name: string): unknown {
  if (schema === undefined) return params;
  const outcome = validateWith(schema, params);
  if (outcome instanceof Promise) {
    throw new TypeError(`process "${name}": its params schema validates asynchronously`);
  }
  if (outcome.isErr()) {
    const list = outcome.error.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    throw new TypeError(`process "${name}": invalid params: ${list.join("; ")}`);
  }
  return outcome.value;
}

/**
 * Makes a function a process (seed levels 2–3): a plain function in a script, a registered
 * process type in a config-driven pipeline, where its result lands in the state under the
 * process key.
 *
 * @example
 * const evaluate = pipelineProcess(
 *   { name: "Evaluate", params: z.object({ batchSize: z.number().default(64) }) },
 *   (params, ctx) => ({ accuracy: 0.9, batchSize: params.batchSize }),
 * );
 * evaluate({}); // plain call
 * registry.registerProcess(evaluate); // as the type "Evaluate"
 */
export function pipelineProcess<TResult, TSchema extends AnySchema | undefined = undefined>(
  spec: FunctionProcessSpec<TSchema>,
  fn: (
    params: ParamsOut<TSchema>,
    ctx: ProcessContext,
    state: Readonly<Record<string, unknown>>,
  ) => TResult,
): FunctionProcess<ParamsIn<TSchema>, ParamsOut<TSchema>, TResult> {
  const { name } = spec;
  const schema = spec.params;
  class FunctionProcessClass extends PipelineProcess<ParamsOut<TSchema>> {
    static override readonly params = schema;
    override execute(ctx: ProcessContext, state: Readonly<Record<string, unknown>>): TResult {
      return fn(this.params, ctx, state);
    }
  }
  Object.defineProperty(FunctionProcessClass, "name", { value: name });
  const call = (params: ParamsIn<TSchema>, ctx?: ProcessContext): TResult =>
    fn(
      parseParams(schema, params, name) as ParamsOut<TSchema>,
      ctx ?? currentRun() ?? detachedContext(name),
      {},
    );
  return Object.assign(call, {
    processName: name,
    params: schema,
    ProcessClass: FunctionProcessClass as ProcessClass<ParamsOut<TSchema>>,
  });
}
