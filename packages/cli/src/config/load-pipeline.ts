import type { AnyPipeline, Registry } from "@tipi/core";
import type { Override } from "../cli/parse-args.ts";
import type { ResolvedBackend } from "./device-backend.ts";
import { loadModulePipeline } from "./load-module-pipeline.ts";
import { loadTomlPipeline } from "./load-toml-pipeline.ts";
import type { Target } from "./resolve-target.ts";
import type { TomlTable } from "./toml-document.ts";

export type { ResolvedBackend } from "./device-backend.ts";

export interface LoadOptions {
  /** `-c` files merged over the pipeline's own config. */
  readonly configFiles?: readonly string[];
  readonly overrides?: readonly Override[];
  readonly seed?: number;
  /** Use this registry as is (no `[pipeline] modules`, no @tipi/tfjs): for tests and embedding. */
  readonly registry?: Registry;
}

/** A pipeline ready to run, with what the run directory records about it. */
export interface LoadedPipeline {
  readonly name: string;
  readonly target: Target;
  readonly pipeline: AnyPipeline;
  /** The resolved config (TOML pipelines), after `-c` files and overrides. */
  readonly config: TomlTable | undefined;
  readonly seed: number | undefined;
  readonly logger: string | undefined;
  /** The backend a `Device` permanence asks for (`auto`, `wasm`…), for the run's metadata. */
  readonly backend?: string;
  /** The backend a permanence (the `Device`) resolved once initialised, and why, if any. */
  readonly resolvedBackend?: () => ResolvedBackend | undefined;
  /** What `run()` receives: `{}` for TOML pipelines, a module's `input` export otherwise. */
  readonly input: unknown;
}

/**
 * Loads a `.toml` or module pipeline. Throws {@link ConfigProblems} (every problem of the
 * file at once) or {@link UsageError}.
 */
export async function loadPipeline(
  target: Target,
  options: LoadOptions = {},
): Promise<LoadedPipeline> {
  return target.kind === "toml"
    ? loadTomlPipeline(target, options)
    : loadModulePipeline(target, options);
}
