import { pathToFileURL } from "node:url";

let registered = false;

/**
 * Imports a user's module (a pipeline, or a `[pipeline] modules` entry), TypeScript included:
 * tsx's module hooks are registered the first time, so a CLI that only reads TOML never pays for
 * them. Plain `.js`/`.mjs` modules import as they are.
 */
export async function importUserModule(fileOrUrl: string): Promise<Record<string, unknown>> {
  if (!registered) {
    registered = true;
    const { register } = await import("tsx/esm/api");
    register();
  }
  const url = fileOrUrl.startsWith("file:") ? fileOrUrl : pathToFileURL(fileOrUrl).href;
  return (await import(url)) as Record<string, unknown>;
}
