import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { StepContext } from "../types/context.ts";

/** The context a config-driven process runs in: permanences are looked up by config key. */
export type ProcessContext = StepContext<Record<string, unknown>>;

/**
 * A step of a config-driven (TOML) pipeline. Subclasses declare `static params`, a Standard
 * Schema that validates the process's keys from the config; the validated value is passed
 * to the constructor. `execute`'s return value is stored in the state under the process key.
 * `skip()` returning true skips the process unless the config sets `force = true`.
 */
export abstract class PipelineProcess<TParams = Record<string, never>> {
  static readonly params?: StandardSchemaV1;
  constructor(
    readonly params: TParams,
    readonly force = false,
  ) {}
  /**
   * Runs the process. `state` holds the results of the processes before it, by key.
   * The return value (awaited) lands in the state under this process's key.
   */
  abstract execute(ctx: ProcessContext, state: Readonly<Record<string, unknown>>): unknown;
  skip(_ctx: ProcessContext): boolean | Promise<boolean> {
    return false;
  }
}
