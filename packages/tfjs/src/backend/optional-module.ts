import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { messageOf } from "@tipi/core";

/** Where optional packages are looked up by default: beside @tipi/tfjs, then the working dir. */
export function defaultResolvePaths(): string[] {
  return [dirname(fileURLToPath(import.meta.url)), process.cwd()];
}

/** The entry file of `specifier` as Node would load it from one of `paths`, if installed. */
export function resolveOptional(specifier: string, paths: readonly string[]): string | undefined {
  for (const base of paths) {
    try {
      return createRequire(join(base, "noop.js")).resolve(specifier);
    } catch {
      // not installed under this path; try the next one
    }
  }
  return undefined;
}

/** The entry file of `specifier` as `fromFile` would require it, if reachable. */
export function resolveFrom(specifier: string, fromFile: string): string | undefined {
  try {
    return createRequire(fromFile).resolve(specifier);
  } catch {
    return undefined;
  }
}

/** The `version` in the package.json of `specifier` as seen from `fromFile`, if any. */
export function packageVersionFrom(specifier: string, fromFile: string): string | undefined {
  try {
    const manifest = createRequire(fromFile).resolve(`${specifier}/package.json`);
    const parsed: unknown = JSON.parse(readFileSync(manifest, "utf8"));
    if (typeof parsed === "object" && parsed !== null && "version" in parsed) {
      return typeof parsed.version === "string" ? parsed.version : undefined;
    }
  } catch {
    // no package.json reachable: the caller treats the version as unknown
  }
  return undefined;
}

/** Imports an already resolved entry file. */
export function importResolved(entry: string): Promise<unknown> {
  return import(pathToFileURL(entry).href);
}

/**
 * The message of anything thrown, made fit for a one-line backend reason (core's `messageOf`
 * gives it as thrown): the lines that help, joined (tfjs-node's "addon not found" error puts its
 * `npm rebuild …` advice on the second line); Node's "Require stack" list of importing files is
 * dropped; very long messages are cut at 600 characters.
 */
export function oneLineMessage(error: unknown): string {
  const text = messageOf(error);
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\s*Require stack:/.test(line)) break;
    const trimmed = line.trim();
    if (trimmed !== "") lines.push(trimmed);
  }
  const joined = lines.join(" ").replace(/\s+/g, " ");
  if (joined === "") return "unknown error";
  return joined.length > 600 ? `${joined.slice(0, 599)}…` : joined;
}
