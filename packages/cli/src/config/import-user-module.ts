import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
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

/** Why a user's module did not load, as the CLI reports it. */
export interface ImportFailure {
  /** The first line of the error, or esbuild's text for a syntax error. */
  readonly message: string;
  /** Where a syntax error is: the file (as esbuild names it), line and 1-based column. */
  readonly at?: { readonly file: string; readonly line: number; readonly column: number };
  /** The source line of a syntax error, for the code frame. */
  readonly sourceLine?: string;
  readonly hint?: string;
}

/** esbuild's `<file>:<line>:<0-based column>: ERROR: <text>` (tsx's syntax errors cross the loader thread as text). */
const ESBUILD_ERROR = /^(.+):(\d+):(\d+): ERROR: (.*)$/m;

/**
 * Reads an import error: a syntax error (tsx's esbuild "Transform failed with 1 error:", whose
 * first line says nothing) gets its file, line, column, source line and text; a package that is
 * not installed gets how to install it; anything else its first line.
 */
export function describeImportFailure(error: unknown, file?: string): ImportFailure {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  if (
    file !== undefined &&
    /\.[jt]sx?$/.test(file) &&
    (code === "ERR_REQUIRE_CYCLE_MODULE" || code === "ERR_REQUIRE_ESM")
  ) {
    const manifest = nearestPackageJson(dirname(file));
    if (manifest === undefined || manifest.type !== "module") {
      return {
        message: `Node loads ${basename(file)} as CommonJS (${manifest === undefined ? "no package.json above it" : `no "type": "module" in ${manifest.file}`}), and tipi pipelines are ES modules`,
        hint:
          manifest === undefined
            ? `create one: npm init -y && npm pkg set type=module (or rename the file to ${basename(file).replace(/\.([jt]sx?)$/, ".m$1")})`
            : `npm pkg set type=module (in ${dirname(manifest.file)}), or rename the file to ${basename(file).replace(/\.([jt]sx?)$/, ".m$1")}`,
      };
    }
  }
  const syntax = ESBUILD_ERROR.exec(error.message);
  if (syntax) {
    const [, file, line, column, text] = syntax as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const lineNumber = Number(line);
    let sourceLine: string | undefined;
    try {
      sourceLine = readFileSync(file, "utf8").split(/\r?\n/)[lineNumber - 1];
    } catch {
      sourceLine = undefined;
    }
    return {
      message: text,
      at: { file, line: lineNumber, column: Number(column) + 1 },
      ...(sourceLine === undefined ? {} : { sourceLine }),
    };
  }
  const message = error.message.split("\n")[0] ?? "";
  const missing = /^Cannot find package '([^']+)'/.exec(message);
  if (code === "ERR_MODULE_NOT_FOUND" && missing) {
    const name = missing[1]!;
    return {
      message,
      hint: `"${name}" is not installed in this project: npm install ${name} (or check the spelling of the import)`,
    };
  }
  return { message };
}

/** The package.json that decides how Node loads files in `dir`, with its `type`. */
function nearestPackageJson(dir: string): { file: string; type: unknown } | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const file = join(at, "package.json");
    if (existsSync(file)) {
      try {
        return { file, type: (JSON.parse(readFileSync(file, "utf8")) as { type?: unknown }).type };
      } catch {
        return { file, type: undefined };
      }
    }
    if (dirname(at) === at) return undefined;
  }
}
