import type { PermanenceDeps } from "../graph/permanence-node.ts";
import type { AnySchema } from "../types/schema.ts";
import type { FunctionProcess, ProcessClass } from "./function-process.ts";

/** A permanence class as the registry stores it: `new (params, deps)`, optional `static params`. */
export interface PermanenceClass<TParams = never> {
  new (params: TParams, deps: PermanenceDeps): object;
  readonly params?: AnySchema;
}

/** What `registerProcess` accepts: a {@link PipelineProcess} subclass or a function process. */
export type ProcessLike = ProcessClass<never> | FunctionProcess<never, never, unknown>;

/**
 * Permanence and process types by name, for config-driven pipelines
 * ({@link buildPipeline}).
 *
 * @example
 * const registry = new Registry()
 *   .registerPermanence("Device", Device)
 *   .registerProcess("TrainingProcess", TrainingProcess)
 *   .registerProcess(evaluate); // a pipelineProcess: registered under its name
 */
export class Registry {
  readonly #permanences = new Map<string, PermanenceClass<unknown>>();
  readonly #processes = new Map<string, ProcessClass<unknown>>();

  /**
   * Registers a permanence class under `type`. A type name can be registered once: a second
   * registration throws a `TypeError` (a programming error, like the DSL builders').
   */
  registerPermanence(type: string, cls: PermanenceClass<never>): this {
    if (this.#permanences.has(type)) {
      throw new TypeError(`permanence type "${type}" is already registered`);
    }
    this.#permanences.set(type, cls as unknown as PermanenceClass<unknown>);
    return this;
  }

  /**
   * Registers a process class or function process under `type` (default: its name); throws
   * a `TypeError` for a type name already registered.
   */
  registerProcess(process: FunctionProcess<never, never, unknown>): this;
  registerProcess(type: string, process: ProcessLike): this;
  registerProcess(
    typeOrProcess: string | FunctionProcess<never, never, unknown>,
    maybe?: ProcessLike,
  ): this {
    const impl = typeof typeOrProcess === "string" ? maybe : typeOrProcess;
    if (impl === undefined) throw new TypeError("registerProcess: missing the process");
    const type = typeof typeOrProcess === "string" ? typeOrProcess : typeOrProcess.processName;
    if (this.#processes.has(type)) {
      throw new TypeError(`process type "${type}" is already registered`);
    }
    const cls = "ProcessClass" in impl ? impl.ProcessClass : impl;
    this.#processes.set(type, cls as unknown as ProcessClass<unknown>);
    return this;
  }

  permanence(type: string): PermanenceClass<unknown> | undefined {
    return this.#permanences.get(type);
  }

  process(type: string): ProcessClass<unknown> | undefined {
    return this.#processes.get(type);
  }

  get permanenceTypes(): string[] {
    return [...this.#permanences.keys()];
  }

  get processTypes(): string[] {
    return [...this.#processes.keys()];
  }
}
