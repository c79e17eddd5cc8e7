import { createRequire } from "node:module";
import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type AnyPipeline,
  buildPipeline,
  type ConfigIssue,
  PipelineProcess,
  Registry,
} from "@tipi/core";
import { registerSecretsIn } from "@tipi/wandb/redact";
import { UsageError } from "../cli/errors.ts";
import type { Override } from "../cli/parse-args.ts";
import { openJoinProblems, resolveConfigPaths } from "./config-paths.ts";
import { importUserModule, registerTypeScriptLoader } from "./import-user-module.ts";
import {
  type AppliedOverride,
  applyOverrides,
  mergeTables,
  resolveOverrideKey,
  setAt,
  valueAt,
} from "./overrides.ts";
import { checkPipelineTable } from "./pipeline-table.ts";
import { type ConfigProblem, ConfigProblems } from "./problems.ts";
import { printNotesOnce, pythonTipiCompat } from "./python-tipi-compat.ts";
import type { Target } from "./resolve-target.ts";
import { applyAliases } from "./sweep-aliases.ts";
import { TomlDocument, type TomlTable } from "./toml-document.ts";

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

/** What a `Device` reports about the backend it chose (its `choice`). */
export interface ResolvedBackend {
  readonly name: string;
  readonly reason?: string;
  /** Every other backend, with why it was not used. */
  readonly skipped?: readonly { readonly backend: string; readonly reason: string }[];
}

/** Loads a `.toml` or module pipeline. Throws {@link ConfigProblems} or {@link UsageError}. */
export async function loadPipeline(
  target: Target,
  options: LoadOptions = {},
): Promise<LoadedPipeline> {
  return target.kind === "toml" ? loadToml(target, options) : loadModule(target, options);
}

/**
 * Locates a problem: a value a command-line override wrote is the command line's (`--set a.b=v`),
 * else the last of `docs` that writes its path (an overlay wins).
 */
function locate(
  docs: readonly TomlDocument[],
  applied: readonly AppliedOverride[],
  issue: ConfigIssue,
): ConfigProblem {
  const key = JSON.stringify(issue.path);
  const override = applied.findLast((a) => JSON.stringify(a.path) === key);
  if (override !== undefined) {
    return {
      file: "command line",
      path: issue.path,
      message: `${override.override.source}: ${issue.message}`,
      ...(issue.hint === undefined ? {} : { hint: issue.hint }),
    };
  }
  const doc = [...docs].reverse().find((d) => d.locatedPaths().includes(key)) ?? docs[0]!;
  return doc.problem(issue.path, issue.message, issue.hint);
}

async function loadToml(target: Target, options: LoadOptions): Promise<LoadedPipeline> {
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
  const table = (isTable(config.pipeline) ? config.pipeline : {}) as TomlTable;
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
  const observing = observeInstances(registry, created);
  let built = buildPipeline(withoutCliKeys(config), observing);
  // An override with no value to replace was typed as a TOML literal; when the schema
  // rejects exactly that value, it gets the text as a string instead.
  if (built.isErr()) {
    const retyped = retypeGuessed(config, applied, built.error);
    if (retyped) built = buildPipeline(withoutCliKeys(config), observing);
  }
  if (built.isErr()) problems.push(...built.error.map((issue) => locate(docs, applied, issue)));
  if (problems.length > 0 || built.isErr()) throw new ConfigProblems(problems);
  const name = typeof table.name === "string" ? table.name : target.defaultName;
  return {
    name,
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

/**
 * The run's seed (`--seed`, else `[pipeline] seed` from the files) is written to `pipeline.seed`
 * and to the `seed` of the hyperparameters permanence (or the one entry that has a `seed`), so
 * that meta.json's seed is the one training uses. Only `--set <entry>.seed=…` (without `--seed`)
 * keeps its own value.
 */
function applySeed(
  config: TomlTable,
  seed: number | undefined,
  applied: readonly AppliedOverride[],
): void {
  if (seed !== undefined) setAt(config, ["pipeline", "seed"], seed);
  const value = seed ?? (config.pipeline as TomlTable | undefined)?.seed;
  if (value === undefined) return;
  const target = resolveOverrideKey(config, "seed");
  if (!("path" in target)) return;
  const current = valueAt(config, target.path);
  // Only where a seed is known to be a parameter: written already, or tipi's Hyperparameters.
  const entry = valueAt(config, target.path.slice(0, 2)) as TomlTable | undefined;
  if (current === undefined && entry?.type !== "Hyperparameters") return;
  const key = JSON.stringify(target.path);
  const setOnCommandLine = applied.some((a) => JSON.stringify(a.path) === key);
  if (seed === undefined && setOnCommandLine) return;
  setAt(config, target.path, typeof value === "bigint" ? Number(value) : value);
}

/**
 * `[pipeline] logger = "wandb"`: a `WandBLogger` permanence named `wandb`, first, so that it is
 * cleaned up (finished and synced) last. It writes to the run's own directory.
 */
async function addWandbLogger(config: TomlTable, registry: Registry): Promise<void> {
  const { WandBLogger } = await import("@tipi/wandb");
  if (registry.permanence("WandBLogger") === undefined)
    registry.registerPermanence("WandBLogger", WandBLogger as never);
  const permanences = isTable(config.permanences) ? config.permanences : {};
  if (Object.values(permanences).some((p) => isTable(p) && p.type === "WandBLogger")) return;
  config.permanences = { wandb: { type: "WandBLogger" }, ...permanences };
}

/** The seed the hyperparameters (or the one entry with a seed) use, else `pipeline.seed`. */
function effectiveSeed(config: TomlTable): number | undefined {
  const target = resolveOverrideKey(config, "seed");
  const used = "path" in target ? toNumber(valueAt(config, target.path)) : undefined;
  return used ?? toNumber((config.pipeline as TomlTable | undefined)?.seed);
}

function requestedBackend(config: TomlTable): string | undefined {
  const permanences = isTable(config.permanences) ? Object.values(config.permanences) : [];
  for (const entry of permanences) {
    if (!isTable(entry) || entry.type !== "Device") continue;
    const params = isTable(entry.params) ? entry.params : entry;
    return typeof params.backend === "string" ? params.backend : "auto";
  }
  return undefined;
}

/**
 * The registry as `buildPipeline` sees it, with each permanence class subclassed so that the
 * instances a run creates are collected (to read what they resolved, e.g. the backend).
 */
function observeInstances(registry: Registry, created: object[]): Registry {
  const wrapped = new Map<string, unknown>();
  const view = {
    permanence(type: string) {
      const cls = registry.permanence(type);
      if (cls === undefined) return undefined;
      if (!wrapped.has(type)) {
        wrapped.set(
          type,
          class extends (cls as new (...args: never[]) => object) {
            constructor(...args: never[]) {
              super(...args);
              created.push(this);
            }
          },
        );
      }
      return wrapped.get(type);
    },
    process: (type: string) => registry.process(type),
    get permanenceTypes() {
      return registry.permanenceTypes;
    },
    get processTypes() {
      return registry.processTypes;
    },
  };
  return view as unknown as Registry;
}

function resolvedBackend(instances: readonly object[]): ResolvedBackend | undefined {
  for (const instance of instances) {
    const { backendName, choice } = instance as { backendName?: unknown; choice?: unknown };
    if (typeof backendName !== "string") continue;
    const { reason, skipped } = (choice ?? {}) as Partial<ResolvedBackend>;
    return {
      name: backendName,
      ...(typeof reason === "string" ? { reason } : {}),
      ...(Array.isArray(skipped) ? { skipped } : {}),
    };
  }
  return undefined;
}

function isTable(value: unknown): value is TomlTable {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "bigint") return Number(value);
  return typeof value === "number" ? value : undefined;
}

/** Core reads `[pipeline] name`; the other `[pipeline]` keys are the CLI's. */
function withoutCliKeys(config: TomlTable): TomlTable {
  const { pipeline: table, ...rest } = config;
  if (table === undefined) return config;
  if (!isTable(table)) return rest;
  return { ...config, pipeline: typeof table.name === "string" ? { name: table.name } : {} };
}

function retypeGuessed(
  config: TomlTable,
  applied: readonly AppliedOverride[],
  issues: readonly ConfigIssue[],
): boolean {
  let changed = false;
  for (const a of applied) {
    if (!a.guessed || typeof valueAt(config, a.path) === "string") continue;
    const hit = issues.some((i) => JSON.stringify(i.path) === JSON.stringify(a.path));
    if (hit) {
      setAt(config, a.path, a.override.value);
      changed = true;
    }
  }
  return changed;
}

/** Every `type` the config names. */
function typesIn(config: TomlTable): { permanences: string[]; processes: string[] } {
  const names = (section: unknown) =>
    Object.values((section ?? {}) as Record<string, unknown>).flatMap((entry) =>
      typeof entry === "object" && entry !== null && typeof (entry as TomlTable).type === "string"
        ? [(entry as TomlTable).type as string]
        : [],
    );
  return { permanences: names(config.permanences), processes: names(config.processes) };
}

type Registration = (registry: Registry) => void | Promise<void>;

/**
 * The registry for a TOML pipeline: the types registered by `[pipeline] modules`, plus
 * @tipi/tfjs's (Device, Network, Data, Hyperparameters, train…) when the config names a type
 * the modules do not register. tfjs is imported only then, so other pipelines start fast.
 */
async function createRegistry(doc: TomlDocument, config: TomlTable, modules: readonly string[]) {
  const registrations: Registration[] = [];
  const problems: ConfigProblem[] = [];
  for (const [index, spec] of modules.entries()) {
    try {
      registrations.push(await loadRegistration(doc.file, spec));
    } catch (error) {
      problems.push(
        doc.problem(
          ["pipeline", "modules", index],
          `cannot load module "${spec}": ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
        ),
      );
    }
  }
  if (problems.length > 0) throw new ConfigProblems(problems);

  const fill = async (registry: Registry) => {
    for (const [index, register] of registrations.entries()) {
      try {
        await register(registry);
      } catch (error) {
        problems.push(
          doc.problem(
            ["pipeline", "modules", index],
            `registering module "${modules[index]}" failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      }
    }
    if (problems.length > 0) throw new ConfigProblems(problems);
    return registry;
  };
  const own = await fill(new Registry());
  const used = typesIn(config);
  const missing =
    used.permanences.some((t) => own.permanence(t) === undefined) ||
    used.processes.some((t) => own.process(t) === undefined);
  if (!missing) return own;
  const registerTfjs = await loadTfjsRegistration();
  if (registerTfjs === undefined) return own;
  const withTfjs = new Registry();
  registerTfjs(withTfjs);
  return fill(withTfjs);
}

async function loadTfjsRegistration(): Promise<Registration | undefined> {
  // the registration entry point: schemas and classes, without tfjs or sharp (loaded at run time)
  const tfjs: Record<string, unknown> = await import("@tipi/tfjs/registry");
  const register = tfjs.registerTfjs;
  return typeof register === "function" ? (register as Registration) : undefined;
}

/** Imports one `[pipeline] modules` entry and returns how it registers its types. */
async function loadRegistration(configFile: string, spec: string): Promise<Registration> {
  const url =
    spec.startsWith(".") || isAbsolute(spec)
      ? pathToFileURL(resolve(dirname(configFile), spec)).href
      : pathToFileURL(createRequire(configFile).resolve(spec)).href;
  const mod = await importUserModule(url);
  if (typeof mod.register === "function") return mod.register as Registration;
  return (registry) => autoRegister(mod, registry);
}

/**
 * Registers a module's exports by their export names: {@link PipelineProcess} subclasses and
 * function processes as processes, other classes with a `cleanup` method as permanences.
 */
function autoRegister(mod: Record<string, unknown>, registry: Registry): void {
  for (const [name, value] of Object.entries(mod)) {
    if (name === "default") continue;
    if (typeof value !== "function") continue;
    const candidate = value as {
      prototype?: unknown;
      processName?: unknown;
      ProcessClass?: unknown;
    };
    if (typeof candidate.processName === "string" && candidate.ProcessClass) {
      registry.registerProcess(name, value as never);
    } else if (candidate.prototype instanceof PipelineProcess) {
      registry.registerProcess(name, value as never);
    } else if (
      typeof candidate.prototype === "object" &&
      candidate.prototype !== null &&
      typeof (candidate.prototype as { cleanup?: unknown }).cleanup === "function"
    ) {
      registry.registerPermanence(name, value as never);
    }
  }
}

function isPipeline(value: unknown): value is AnyPipeline {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AnyPipeline).run === "function" &&
    typeof (value as AnyPipeline).describe === "function"
  );
}

async function loadModule(target: Target, options: LoadOptions): Promise<LoadedPipeline> {
  if ((options.overrides?.length ?? 0) > 0 || (options.configFiles?.length ?? 0) > 0) {
    throw new UsageError(
      `config overrides need a TOML pipeline; ${target.file} is a module`,
      "set values in the module, or give the pipeline a pipeline.toml",
    );
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importUserModule(target.file);
  } catch (error) {
    throw new ConfigProblems([
      {
        file: target.file,
        message: `cannot load the module: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
      },
    ]);
  }
  const pipeline = mod.default ?? mod.pipeline;
  if (!isPipeline(pipeline)) {
    throw new ConfigProblems([
      {
        file: target.file,
        message: "the module's default export is not a pipeline",
        hint: "export default Pipeline.create(…)…",
      },
    ]);
  }
  const described = pipeline.describe();
  return {
    name: described.name === "pipeline" ? target.defaultName : described.name,
    target,
    pipeline,
    config: undefined,
    seed: options.seed,
    logger: undefined,
    input: mod.input ?? {},
  };
}
