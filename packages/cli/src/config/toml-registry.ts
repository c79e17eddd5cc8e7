import { createRequire } from "node:module";
import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isTable, messageOf, PipelineProcess, Registry } from "@tipi/core";
import { describeImportFailure, importUserModule } from "./import-user-module.ts";
import { type ConfigProblem, ConfigProblems } from "./problems.ts";
import type { TomlDocument, TomlTable } from "./toml-document.ts";

type Registration = (registry: Registry) => void | Promise<void>;

/**
 * The registry for a TOML pipeline: the types registered by `[pipeline] modules`, plus
 * @tipi/tfjs's (Device, Network, Data, Hyperparameters, train…) when the config names a type
 * the modules do not register. tfjs is imported only then, so other pipelines start fast.
 * Throws {@link ConfigProblems} naming each module that cannot be loaded or registered.
 */
export async function createRegistry(
  doc: TomlDocument,
  config: TomlTable,
  modules: readonly string[],
): Promise<Registry> {
  const registrations: Registration[] = [];
  const problems: ConfigProblem[] = [];
  for (const [index, spec] of modules.entries()) {
    try {
      registrations.push(await loadRegistration(doc.file, spec));
    } catch (error) {
      const failure = describeImportFailure(error);
      const where = failure.at
        ? ` (${failure.at.file}:${failure.at.line}:${failure.at.column})`
        : "";
      problems.push(
        doc.problem(
          ["pipeline", "modules", index],
          `cannot load module "${spec}": ${failure.message}${where}`,
          failure.hint,
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
            `registering module "${modules[index]}" failed: ${messageOf(error)}`,
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

/** Every `type` the config names. */
function typesIn(config: TomlTable): { permanences: string[]; processes: string[] } {
  const names = (section: unknown) =>
    Object.values((section ?? {}) as Record<string, unknown>).flatMap((entry) =>
      isTable(entry) && typeof entry.type === "string" ? [entry.type] : [],
    );
  return { permanences: names(config.permanences), processes: names(config.processes) };
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
