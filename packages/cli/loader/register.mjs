// Installs the TypeScript module hooks once per process. `TIPI_TS_LOADER=tsx` uses tsx instead
// (slower to start, more complete: tsconfig paths, CommonJS TypeScript).
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

let registered = false;
/** Source file URL → prebuilt dist file URL, once bin/tipi.mjs runs the bundle. */
let aliases;

/**
 * Called by bin/tipi.mjs when it runs the prebuilt bundle: user modules' `@tipi/*` imports then
 * resolve to the bundle's entry points (the instances the CLI uses), not to the sources.
 */
export function useBundle(packageDir) {
  const map = JSON.parse(readFileSync(join(packageDir, "dist", "aliases.json"), "utf8"));
  aliases = {};
  for (const [source, dist] of Object.entries(map)) {
    aliases[pathToFileURL(join(packageDir, source)).href] = pathToFileURL(
      join(packageDir, dist),
    ).href;
  }
}

/** Makes `import("./x.ts")` work in this process (idempotent). */
export async function registerTypeScript() {
  if (registered) return;
  registered = true;
  if (process.env.TIPI_TS_LOADER === "tsx") {
    const tsx = await import("tsx/esm/api");
    tsx.register();
    return;
  }
  register("./ts-hooks.mjs", import.meta.url, { data: { aliases } });
}
