import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

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

/** The message of anything thrown, on one line. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]?.trim() || "unknown error";
}
