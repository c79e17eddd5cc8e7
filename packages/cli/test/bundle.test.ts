import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

// bin/tipi.mjs runs dist/ (the CLI, @tipi/core, tfjs and wandb bundled) when it is fresh.
// These tests rebuild it (the build swaps dist/ in whole, so concurrent runs see a bundle or
// none) and trace which modules a run resolves.
const cliDir = fileURLToPath(new URL("..", import.meta.url));
const repo = fileURLToPath(new URL("../../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "tipi-bundle-"));
const tracer = join(work, "trace.mjs");

interface Traced {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Every URL the process resolved (before the TypeScript hooks' redirects to dist/). */
  readonly urls: readonly string[];
}

function tipi(args: readonly string[], env: Record<string, string> = {}): Traced {
  const result = spawnSync(
    process.execPath,
    ["--import", pathToFileURL(tracer).href, join(cliDir, "bin/tipi.mjs"), ...args],
    {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, TIPI_FROM_SOURCE: "0", TIPI_TS_LOADER: "", ...env },
    },
  );
  const urls = result.stderr
    .split("\n")
    .filter((line) => line.startsWith("resolved "))
    .map((line) => line.slice("resolved ".length));
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, urls };
}

beforeAll(() => {
  writeFileSync(
    join(work, "hooks.mjs"),
    `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  process.stderr.write("resolved " + result.url + "\\n");
  return result;
}\n`,
  );
  writeFileSync(
    tracer,
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(work, "hooks.mjs")).href)});\n`,
  );
  const build = spawnSync(process.execPath, [join(cliDir, "scripts/build.mjs")], {
    encoding: "utf8",
  });
  expect(build.status, build.stderr).toBe(0);
}, 60_000);

describe("the prebuilt bundle", () => {
  it("validates a TOML pipeline without loading any TypeScript or the TypeScript hooks", () => {
    const run = tipi(["validate", "examples/fashion-mnist"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('pipeline "fashion-mnist" is valid');
    expect(run.urls).toContain(pathToFileURL(join(cliDir, "dist/main.mjs")).href);
    expect(run.urls.filter((url) => url.endsWith(".ts"))).toEqual([]);
    expect(run.urls.some((url) => url.endsWith("/ts-hooks.mjs"))).toBe(false);
    expect(run.urls.some((url) => url.includes("@tensorflow"))).toBe(false);
  });

  it("gives a user's module the bundle's @tipi/core, not a second copy from the sources", () => {
    const config = join(work, "pipeline.toml");
    const example = readFileSync(join(repo, "examples/fashion-mnist/pipeline.toml"), "utf8");
    const module = JSON.stringify(join(cliDir, "test/fixtures/shared-core.ts"));
    writeFileSync(config, example.replace("[pipeline]\n", `[pipeline]\nmodules = [${module}]\n`));
    const run = tipi(["validate", config]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("one @tipi/core: true");
    // the user's `@tipi/core` resolved to the source entry point, redirected to dist/core.mjs
    const coreSources = run.urls.filter((url) => url.includes("/packages/core/src/"));
    expect(coreSources.map((url) => url.replace(/.*\/packages\//, ""))).toEqual([
      "core/src/index.ts",
    ]);
  });

  it("runs the sources when one is newer than the bundle", () => {
    const source = join(cliDir, "src/version.ts");
    const { atime, mtime } = statSync(source);
    const built = statSync(join(cliDir, "dist/main.mjs")).mtime;
    utimesSync(source, atime, new Date(built.getTime() + 1000));
    try {
      const run = tipi(["--help"]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.urls).toContain(pathToFileURL(join(cliDir, "src/main.ts")).href);
      expect(run.urls).not.toContain(pathToFileURL(join(cliDir, "dist/main.mjs")).href);
    } finally {
      utimesSync(source, atime, mtime);
    }
  });

  it("runs the sources under TIPI_FROM_SOURCE=1, one @tipi/core still", () => {
    const copy = join(work, "from-source.toml");
    copyFileSync(join(work, "pipeline.toml"), copy);
    const run = tipi(["validate", copy], { TIPI_FROM_SOURCE: "1" });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("one @tipi/core: true");
    expect(run.urls).not.toContain(pathToFileURL(join(cliDir, "dist/main.mjs")).href);
  });
});
