// Bundles the CLI and the workspace packages it loads (@tipi/core, @tipi/tfjs, @tipi/wandb, as
// plain JavaScript) into dist/ (run by `prepare` on `pnpm install`, and in CI), so a cold
// `tipi validate` loads a few chunks instead of ~80 TypeScript files through the hooks thread.
//
// - Each package entry point is an entry of the one build (shared chunks): dist/aliases.json maps
//   its source file to its dist file, and loader/ts-hooks.mjs resolves a user module's
//   `import "@tipi/core"` to that dist file, so the CLI and user code share one instance of every
//   class (`instanceof`, permanence lookup by class).
// - Other dependencies stay external, written as the absolute path they resolve to from the
//   importing source (pnpm gives each package its own node_modules), and `import.meta.url` is
//   the source file's URL, so data files and `createRequire` resolve as from the sources.
// - dist/inputs.json lists the workspace sources bundled: bin/tipi.mjs runs the sources once
//   any is newer than the bundle.
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
// Built beside dist/ and swapped in, so a `tipi` starting meanwhile finds either a whole bundle
// or none (and runs the sources).
const distDir = `${packageDir}dist.${process.pid}.tmp/`;

/** dist entry name → source entry point (relative to this package). */
const ENTRIES = {
  main: "src/main.ts",
  cli: "src/index.ts",
  core: "../core/src/index.ts",
  "core-testing": "../core/src/testing/index.ts",
  "core-did-you-mean": "../core/src/did-you-mean.ts",
  tfjs: "../tfjs/src/index.ts",
  "tfjs-registry": "../tfjs/src/registry.ts",
  wandb: "../wandb/src/index.ts",
  "wandb-testing": "../wandb/src/testing/index.ts",
};
const WORKSPACE = /^(@tipi\/|tipi$)/;
// Plain ES modules on the cold path (TOML parsing) with no state to share: bundled too.
const BUNDLED = new Set(["smol-toml"]);

const workspaceLayout = {
  name: "workspace-layout",
  setup(builder) {
    // one instance of the hooks' registration state, shared by the bin and the bundle
    builder.onResolve({ filter: /\/loader\/register\.mjs$/ }, () => ({
      path: "../loader/register.mjs",
      external: true,
    }));
    builder.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === "resolving" || isBuiltin(args.path)) return undefined;
      const packageName = args.path.split("/", args.path.startsWith("@") ? 2 : 1).join("/");
      if (WORKSPACE.test(packageName) || BUNDLED.has(packageName)) return undefined;
      const resolved = await builder.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: "resolving",
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: resolved.path, external: true };
    });
    builder.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, "utf8").replaceAll(
        "import.meta.url",
        JSON.stringify(pathToFileURL(args.path).href),
      ),
      loader: "ts",
    }));
  },
};

// `prepare` passes --if-possible: a workspace mid-edit must not fail `pnpm install`; without a
// fresh bundle the CLI runs its sources.
const ifPossible = process.argv.includes("--if-possible");
let metafile;
try {
  ({ metafile } = await build({
    absWorkingDir: packageDir,
    entryPoints: Object.fromEntries(
      Object.entries(ENTRIES).map(([name, source]) => [name, `${packageDir}${source}`]),
    ),
    outdir: distDir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // resolve external packages the way Node's ESM loader does (no "module" field or condition)
    mainFields: ["main"],
    conditions: [],
    plugins: [workspaceLayout],
    metafile: true,
    sourcemap: "linked",
    logLevel: "warning",
  }));
} catch (error) {
  rmSync(distDir, { recursive: true, force: true });
  if (!ifPossible) throw error;
  console.warn("tipi: the CLI bundle was not built (see above); tipi runs from the sources");
  process.exit(0);
}

const inputs = Object.keys(metafile.inputs).filter((input) => !input.includes("node_modules"));
const aliases = Object.fromEntries(
  Object.entries(ENTRIES)
    .filter(([name]) => name !== "main")
    .map(([name, source]) => [source, `dist/${name}.mjs`]),
);
// The bundle names external packages by absolute path: it is stale once the checkout moves too.
const manifest = { packageDir, inputs };
writeFileSync(`${distDir}inputs.json`, `${JSON.stringify(manifest, null, 1)}\n`);
writeFileSync(`${distDir}aliases.json`, `${JSON.stringify(aliases, null, 1)}\n`);
writeFileSync(`${distDir}.gitignore`, "*\n");
rmSync(`${packageDir}dist`, { recursive: true, force: true });
renameSync(distDir, `${packageDir}dist`);
console.log(`dist: ${inputs.length} workspace sources bundled`);
