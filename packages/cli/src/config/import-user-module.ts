import { fileURLToPath, pathToFileURL } from "node:url";

let registered = false;

/**
 * Imports a user's module (a pipeline, or a `[pipeline] modules` entry), TypeScript included:
 * tsx's module hooks are registered the first time, so a CLI that only reads TOML never pays for
 * them. Plain `.js`/`.mjs` modules import as they are.
 */
export async function importUserModule(fileOrUrl: string): Promise<Record<string, unknown>> {
  await registerTypeScriptLoader();
  const url = fileOrUrl.startsWith("file:") ? fileOrUrl : pathToFileURL(fileOrUrl).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw withoutOwnFrames(error);
  }
}

/** Registers tsx's module hooks (once), so that later `import()`s of `.ts` files work. */
export async function registerTypeScriptLoader(): Promise<void> {
  if (registered) return;
  registered = true;
  const { register } = await import("tsx/esm/api");
  register();
}

/** This very file, as Node names it in "imported from …" (its dist path once built). */
const SELF = fileURLToPath(import.meta.url);

/**
 * Node says a missing module was "imported from" the file that imported it: when that is this
 * loader, the user learns nothing but tipi's install path. That part is dropped.
 */
function withoutOwnFrames(error: unknown): unknown {
  if (!(error instanceof Error) || !error.message.includes(SELF)) return error;
  error.message = error.message.replace(` imported from ${SELF}`, "").replaceAll(SELF, "tipi");
  return error;
}
