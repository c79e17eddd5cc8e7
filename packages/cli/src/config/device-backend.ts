import type { Registry } from "@tipi/core";
import { isTable } from "@tipi/core";
import type { TomlTable } from "./toml-document.ts";

/** What a `Device` reports about the backend it chose (its `choice`). */
export interface ResolvedBackend {
  readonly name: string;
  readonly reason?: string;
  /** Every other backend, with why it was not used. */
  readonly skipped?: readonly { readonly backend: string; readonly reason: string }[];
}

/** The backend the config's `Device` permanence asks for (`auto` when it names none). */
export function requestedBackend(config: TomlTable): string | undefined {
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
export function observeInstances(registry: Registry, created: object[]): Registry {
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

/** The backend the first instance that has one (the `Device`) resolved, and why. */
export function resolvedBackend(instances: readonly object[]): ResolvedBackend | undefined {
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
