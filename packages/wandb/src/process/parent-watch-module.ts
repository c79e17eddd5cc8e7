/** Where the `node --import` module that ends an orphaned trial is (see `parent-watch.ts`). */
import { existsSync } from "node:fs";

/**
 * The `node --import` URL of `parent-watch.js` (beside this file in `dist`), which ends a trial
 * whose parent (`tipi agent`, `tipi sweep`) died; undefined when running from TypeScript
 * sources, where it is not built.
 */
export function parentWatchModule(): string | undefined {
  const url = new URL("./parent-watch.js", import.meta.url);
  return import.meta.url.endsWith(".js") && existsSync(url) ? url.href : undefined;
}

/** `["--import", <parent-watch.js>]` for a trial's `node` command line, or `[]` from sources. */
export function parentWatchArgs(): string[] {
  const watch = parentWatchModule();
  return watch === undefined ? [] : ["--import", watch];
}
