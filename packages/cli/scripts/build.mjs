// Bundles the CLI's own sources into dist/ (run by `prepare` on `pnpm install`, and in CI).
// Workspace packages (@tipi/*) and most dependencies stay external: they load at run time, the
// @tipi ones as TypeScript through loader/ts-hooks.mjs, only in the commands that need them.
// dist/inputs.json lists the workspace sources bundled, so bin/tipi.mjs can tell a stale bundle.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

// What the cold path (argument parsing, unknown commands, TOML parsing) imports and has no
// identity to share with user code: bundled, so it costs no module loads through the hooks
// thread. @tipi/core/did-you-mean is dependency-free; smol-toml is plain ES modules (9 files).
const BUNDLED = new Set(["@tipi/core/did-you-mean", "smol-toml"]);

const externalPackages = {
  name: "external-packages",
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (BUNDLED.has(args.path)) return { path: fileURLToPath(import.meta.resolve(args.path)) };
      return { path: args.path, external: true };
    });
  },
};
rmSync(`${packageDir}dist`, { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: packageDir,
  entryPoints: { main: `${packageDir}src/main.ts` },
  external: ["../loader/register.mjs"],
  outdir: `${packageDir}dist`,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  plugins: [externalPackages],
  metafile: true,
  sourcemap: "linked",
  logLevel: "warning",
});
mkdirSync(`${packageDir}dist`, { recursive: true });
// Paths relative to the package, without node_modules (a reinstall reruns this build anyway).
const inputs = Object.keys(metafile.inputs).filter((input) => !input.includes("node_modules"));
writeFileSync(`${packageDir}dist/inputs.json`, `${JSON.stringify(inputs, null, 1)}\n`);
writeFileSync(`${packageDir}dist/.gitignore`, "*\n");
