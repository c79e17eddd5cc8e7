// Installs the TypeScript module hooks once per process. `TIPI_TS_LOADER=tsx` uses tsx instead
// (slower to start, more complete: tsconfig paths, CommonJS TypeScript).
import { register } from "node:module";

let registered = false;

/** Makes `import("./x.ts")` work in this process (idempotent). */
export async function registerTypeScript() {
  if (registered) return;
  registered = true;
  if (process.env.TIPI_TS_LOADER === "tsx") {
    const tsx = await import("tsx/esm/api");
    tsx.register();
    return;
  }
  register("./ts-hooks.mjs", import.meta.url);
}
