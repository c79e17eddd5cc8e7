import { resolve } from "node:path";
import { isTable, Registry } from "@tipi/core";
import { registerSecretsIn } from "@tipi/wandb/redact";
import { buildTomlPipeline } from "./build-toml-pipeline.ts";
import { openJoinProblems, resolveConfigPaths } from "./config-paths.ts";
import { observeInstances, requestedBackend, resolvedBackend } from "./device-backend.ts";
import { registerTypeScriptLoader } from "./import-user-module.ts";
import type { LoadedPipeline, LoadOptions } from "./load-pipeline.ts";
import { applyOverrides, mergeTables } from "./overrides.ts";
import { permanenceParamProblems } from "./permanence-params.ts";
import { applySeed, effectiveSeed } from "./pipeline-seed.ts";
import { checkPipelineTable } from "./pipeline-table.ts";
import { ConfigProblems } from "./problems.ts";
import { printNotesOnce, pythonTipiCompat } from "./python-tipi-compat.ts";
import type { Target } from "./resolve-target.ts";
import { applyAliases } from "./sweep-aliases.ts";
import { TomlDocument, type TomlTable } from "./toml-document.ts";
import { createRegistry } from "./toml-registry.ts";
import { addWandbLogger } from "./wandb-logger-entry.ts";

/**
 * Loads a `.toml` pipeline: the file, its `-c` overlays and overrides merged, then built.
 * @throws {@link ConfigProblems} with every problem of the file at once (table, modules,
 * types, params, paths, joins).
 */
export async function loadTomlPipeline(
  target: Target,
  options: LoadOptions,
): Promise<LoadedPipeline> {
  const base = TomlDocument.read(target.file);
  const docs = [base];
  for (const file of options.configFiles ?? []) docs.push(TomlDocument.read(resolve(file)));
  let config = structuredClone(base.data);
  for (const overlay of docs.slice(1)) config = mergeTables(config, overlay.data);

  // The Python tipi's [pipeline] spelling becomes tipi's, with a note each.
  const compat = pythonTipiCompat(base, config);
  printNotesOnce(compat.notes);
  const { applied, problems } = applyOverrides(
    config,
    applyAliases(config, options.overrides ?? []),
  );
  problems.push(...compat.problems);
  // A key in the file or on the command line (api_key = "…") is scrubbed from all output.
  registerSecretsIn(config);
  applySeed(config, options.seed, applied);
  problems.push(...checkPipelineTable(base, config.pipeline));

  // Every problem of the file is reported at once: table, modules, types and params.
  const table: TomlTable = isTable(config.pipeline) ? config.pipeline : {};
  const modules = Array.isArray(table.modules)
    ? table.modules.filter((m): m is string => typeof m === "string")
    : [];
  let registry = options.registry;
  if (registry === undefined) {
    try {
      registry = await createRegistry(base, config, modules);
    } catch (error) {
      if (!(error instanceof ConfigProblems)) throw error;
      problems.push(...error.problems);
      registry = new Registry();
    }
  }
  if (table.logger === "wandb") await addWandbLogger(config, registry);
  // Paths in a file are the file's: resolved from its folder, and they must exist.
  const paths = resolveConfigPaths(config, registry, docs, applied);
  problems.push(...paths.problems);
  // A TypeScript file named by a param (Network.module) imports like a [pipeline] module.
  if (paths.paths.some((p) => /\.[cm]?tsx?$/.test(p))) await registerTypeScriptLoader();
  problems.push(...openJoinProblems(config, base));
  const created: object[] = [];
  const built = buildTomlPipeline(config, observeInstances(registry, created), docs, applied);
  if (built.isErr()) problems.push(...built.error);
  // A process's permanences must be there (a typo'd [permanences.hyperparameter]), not fail mid-run.
  else problems.push(...permanenceParamProblems(built.value, registry, config, docs, applied));
  if (problems.length > 0 || built.isErr()) throw new ConfigProblems(problems);
  return {
    name: typeof table.name === "string" ? table.name : target.defaultName,
    target,
    pipeline: built.value,
    config,
    seed: effectiveSeed(config),
    backend: requestedBackend(config),
    resolvedBackend: () => resolvedBackend(created),
    logger: typeof table.logger === "string" ? table.logger : undefined,
    input: {},
  };
}
