// Module hooks that let Node 20 import TypeScript: `.ts` files are transpiled by esbuild (type
// stripping only, no type check) and cached on disk by content hash, so a warm start reads
// plain JavaScript. tsx does the same with more machinery; its start-up (~200 ms here) broke the
// CLI's cold-start budget, this costs ~60 ms (see bench/startup.bench.ts).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CACHE_VERSION = "tipi-ts-1";
const TS_FILE = /\.(ts|mts|tsx)$/;
const cacheDir = join(tmpdir(), `tipi-ts-cache-${process.getuid?.() ?? "user"}`);
let esbuild;
/** Source entry points of @tipi/* → their prebuilt dist files (see scripts/build.mjs). */
let aliases = {};

export function initialize(data) {
  aliases = data?.aliases ?? {};
}

export async function resolve(specifier, context, next) {
  const resolved = await resolveSource(specifier, context, next);
  const alias = aliases[resolved.url];
  return alias ? { url: alias, format: "module", shortCircuit: true } : resolved;
}

async function resolveSource(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    // TypeScript's NodeNext style writes `./x.js` for the file `./x.ts`.
    if (error?.code === "ERR_MODULE_NOT_FOUND" && /^\.{1,2}\/.*\.js$/.test(specifier)) {
      return next(specifier.replace(/\.js$/, ".ts"), context);
    }
    throw error;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith("file:") || !TS_FILE.test(url)) return next(url, context);
  const path = fileURLToPath(url);
  const source = readFileSync(path, "utf8");
  const key = createHash("sha1").update(CACHE_VERSION).update(path).update(source).digest("hex");
  const cached = join(cacheDir, `${key}.mjs`);
  try {
    return { format: "module", source: readFileSync(cached, "utf8"), shortCircuit: true };
  } catch {
    // not cached yet
  }
  esbuild ??= await import("esbuild");
  const { code } = await esbuild.transform(source, {
    loader: path.endsWith(".tsx") ? "tsx" : "ts",
    format: "esm",
    target: "node20",
    sourcemap: "inline",
    sourcefile: path,
  });
  try {
    mkdirSync(cacheDir, { recursive: true });
    const temporary = `${cached}.${process.pid}.tmp`;
    writeFileSync(temporary, code);
    renameSync(temporary, cached);
  } catch {
    // a read-only temp dir only costs speed
  }
  return { format: "module", source: code, shortCircuit: true };
}
