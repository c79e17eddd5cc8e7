#!/usr/bin/env node
// The `tipi` binary. Runs the prebuilt bundle (dist/, made by `pnpm install` through the
// package's `prepare` script) when it is newer than the sources, else the TypeScript sources
// through tipi's TypeScript hooks, so a fresh checkout works before any build.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// `pnpm tipi …` runs the root script from the workspace root: work where the user typed it.
if (process.env.npm_lifecycle_event === "tipi" && process.env.INIT_CWD) {
  process.chdir(process.env.INIT_CWD);
  // children (sweep trials) must not inherit this and jump directories again
  delete process.env.INIT_CWD;
  delete process.env.npm_lifecycle_event;
}

// `tipi … | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const bundle = join(packageDir, "dist", "main.mjs");

// The build lists the workspace sources it bundled (@tipi/core, tfjs, wandb and the CLI's own); the bundle is stale once any is newer (or
// gone). A new source file matters only once a listed one imports it, and that one is then newer.
function bundleIsFresh() {
  // tsx cannot redirect user modules' @tipi/* imports to the bundle: sources, one instance each
  if (process.env.TIPI_FROM_SOURCE === "1" || process.env.TIPI_TS_LOADER === "tsx") return false;
  try {
    const built = statSync(bundle).mtimeMs;
    const manifest = JSON.parse(readFileSync(join(packageDir, "dist", "inputs.json"), "utf8"));
    return (
      manifest.packageDir === packageDir &&
      manifest.inputs.every((input) => statSync(join(packageDir, input)).mtimeMs <= built)
    );
  } catch {
    return false;
  }
}

// From the bundle, the TypeScript hooks are registered only when a user's module is imported.
const { registerTypeScript, useBundle } = await import("../loader/register.mjs");
let entry;
if (bundleIsFresh()) {
  useBundle(packageDir);
  entry = bundle;
} else {
  await registerTypeScript();
  entry = join(packageDir, "src", "main.ts");
}
const { main } = await import(entry);
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Work still holding the event loop (a stray timer in a user's step) must not keep us alive.
setTimeout(() => process.exit(code), 200).unref();
