// Bundles the CLI's own sources into dist/ (run by `prepare` on `pnpm install`, and in CI).
// Workspace packages (@tipi/*) and dependencies stay external: they load at run time, the
// @tipi ones as TypeScript through loader/ts-hooks.mjs, only in the commands that need them.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

// The one @tipi module the cold path (argument parsing, unknown commands) needs: dependency-free,
// so it is bundled rather than loaded as TypeScript before the hooks are registered.
const bundleDidYouMean = {
  name: "bundle-did-you-mean",
  setup(builder) {
    builder.onResolve({ filter: /^@tipi\/core\/did-you-mean$/ }, (args) => ({
      path: fileURLToPath(import.meta.resolve(args.path)),
    }));
  },
};
rmSync(`${packageDir}dist`, { recursive: true, force: true });
await build({
  entryPoints: { main: `${packageDir}src/main.ts` },
  external: ["../loader/register.mjs"],
  outdir: `${packageDir}dist`,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  plugins: [bundleDidYouMean],
  sourcemap: "linked",
  logLevel: "warning",
});
mkdirSync(`${packageDir}dist`, { recursive: true });
writeFileSync(`${packageDir}dist/.gitignore`, "*\n");
