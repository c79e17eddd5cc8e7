import { existsSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { isTable, type Registry } from "@tipi/core";
import type { AppliedOverride } from "./overrides.ts";
import type { ConfigProblem } from "./problems.ts";
import type { TomlDocument, TomlTable } from "./toml-document.ts";

/**
 * A permanence or process class names its parameters that are file paths:
 * `static readonly pathParams = ["module", "load"]`. The CLI resolves those relative to the TOML
 * file that sets them (a command-line override: to the working directory) and checks they exist.
 */
export interface DeclaresPathParams {
  readonly pathParams?: readonly string[];
}

/**
 * Makes every path parameter of `config` absolute, from the file that wrote it (the last of
 * `docs` that has it: a `-c` overlay wins), and reports each that names nothing on disk, at its
 * line. `config` is changed in place; the absolute paths are returned too.
 */
export function resolveConfigPaths(
  config: TomlTable,
  registry: Registry,
  docs: readonly TomlDocument[],
  applied: readonly AppliedOverride[],
): { problems: ConfigProblem[]; paths: string[] } {
  const problems: ConfigProblem[] = [];
  const paths: string[] = [];
  for (const section of ["permanences", "processes"] as const) {
    const entries = config[section];
    if (!isTable(entries)) continue;
    for (const [name, entry] of Object.entries(entries)) {
      if (!isTable(entry) || typeof entry.type !== "string") continue;
      const cls =
        section === "permanences" ? registry.permanence(entry.type) : registry.process(entry.type);
      const pathParams = (cls as DeclaresPathParams | undefined)?.pathParams ?? [];
      const inParams = isTable(entry.params);
      const params = inParams ? (entry.params as TomlTable) : entry;
      for (const key of pathParams) {
        const value = params[key];
        if (typeof value !== "string" || value === "") continue;
        const path = inParams ? [section, name, "params", key] : [section, name, key];
        const written = JSON.stringify(path);
        const override = applied.findLast((a) => JSON.stringify(a.path) === written);
        const doc = [...docs].reverse().find((d) => d.locatedPaths().includes(written)) ?? docs[0];
        const base =
          override !== undefined || doc === undefined ? process.cwd() : dirname(doc.file);
        const absolute = isAbsolute(value) ? value : resolve(base, value);
        params[key] = absolute;
        paths.push(absolute);
        if (existsSync(absolute)) continue;
        const message = `no such file or directory: ${shown(absolute)}${
          isAbsolute(value)
            ? ""
            : ` (relative to ${override ? "the working directory" : "the config file"})`
        }`;
        problems.push(
          override !== undefined
            ? { file: "command line", path, message: `${override.override.source}: ${message}` }
            : (doc?.problem(path, message) ?? { path, message }),
        );
      }
    }
  }
  return { problems, paths };
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

/**
 * A TOML pipeline cannot fill a join (`join = "train"` with no `type`): only a module's
 * `provideJoin` can. Reported at the entry's `join` key, so that `tipi validate` catches it.
 */
export function openJoinProblems(config: TomlTable, base: TomlDocument): ConfigProblem[] {
  const processes = config.processes;
  if (!isTable(processes)) return [];
  return Object.entries(processes).flatMap(([name, entry]) =>
    isTable(entry) && typeof entry.join === "string" && entry.type === undefined
      ? [
          base.problem(
            ["processes", name, "join"],
            `join "${entry.join}" has no implementation: a TOML pipeline cannot provide one`,
            `give the entry a process type (type = "…"), or run it from a module that calls provideJoin("${entry.join}", …)`,
          ),
        ]
      : [],
  );
}
