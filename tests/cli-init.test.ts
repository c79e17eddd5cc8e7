// `tipi init`: what it writes, and that the project type-checks, passes its test and trains.
// The project links this workspace's built packages where an install would put them; the
// registry install of the same project is tests/consumer.test.ts.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { REPO, tipi } from "./fixtures/cli/run-tipi.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-init-"));
const inWorkspace = join(REPO, "runs", `init-test-${process.pid}`);
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(inWorkspace, { recursive: true, force: true });
});

const manifest = (file: string) =>
  JSON.parse(readFileSync(file, "utf8")) as {
    version: string;
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    allowScripts?: Record<string, boolean>;
  };
const cliVersion = manifest(join(REPO, "packages/cli/package.json")).version;
const tfjsDependencies = manifest(join(REPO, "packages/tfjs/package.json")).dependencies;

/** What `npm install` would put in node_modules, from this workspace. */
function linkInstall(dir: string): void {
  const links: Record<string, string> = {
    tipi: join(REPO, "packages/tipi"),
    zod: join(REPO, "node_modules/zod"),
    typescript: join(REPO, "node_modules/typescript"),
    vitest: join(REPO, "node_modules/vitest"),
    "@types/node": join(REPO, "node_modules/@types/node"),
    "@tensorflow/tfjs-core": join(REPO, "node_modules/@tensorflow/tfjs-core"),
  };
  for (const [name, target] of Object.entries(links)) {
    const link = join(dir, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link, "dir");
  }
}

function exec(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, CI: "true" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("tipi init", () => {
  const starter = join(scratch, "My Starter");

  test("writes a standalone project on tipi's registry version, never a link", async () => {
    const init = await tipi(["init", starter]);
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    expect(readdirSync(starter).sort()).toEqual(
      [".gitignore", "README.md", "package.json", "pipeline.ts", "test", "tsconfig.json"].sort(),
    );
    const text = readFileSync(join(starter, "package.json"), "utf8");
    expect(text).not.toMatch(/link:|file:|workspace:/);
    const pkg = manifest(join(starter, "package.json"));
    expect(pkg.dependencies.tipi).toBe(`^${cliVersion}`);
    expect(pkg.dependencies.zod).toBe(tfjsDependencies.zod);
    expect(Object.keys(pkg.devDependencies).sort()).toEqual([
      "@types/node",
      "typescript",
      "vitest",
    ]);
    expect(pkg.scripts.test).toBe("tsc && vitest run");
    // npm 11 warned after every install: "esbuild@… (postinstall) not yet covered by allowScripts"
    expect(pkg.allowScripts).toEqual({ esbuild: false });
    const tsconfig = readFileSync(join(starter, "tsconfig.json"), "utf8");
    for (const flag of ["strict", "exactOptionalPropertyTypes", "noUncheckedIndexedAccess"]) {
      expect(tsconfig).toContain(`"${flag}": true`);
    }
    expect(init.stdout).toContain("npm install");
  });

  test("refuses a directory that is not empty, and an unknown example", async () => {
    const again = await tipi(["init", starter]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("is not empty");
    const unknown = await tipi(["init", join(scratch, "x"), "--example", "mnist"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("fashion-mnist");
  });

  test("the starter type-checks (strict), passes its test and trains", async () => {
    linkInstall(starter);
    const tsc = await exec(
      process.execPath,
      [join(starter, "node_modules/typescript/bin/tsc")],
      starter,
    );
    expect(tsc.output).toBe("");
    expect(tsc.code).toBe(0);
    const vitest = await exec(
      process.execPath,
      [join(starter, "node_modules/vitest/vitest.mjs"), "run"],
      starter,
    );
    expect(vitest.output).toContain("1 passed");
    expect(vitest.code).toBe(0);
    const run = await tipi(["run", "pipeline.ts", "--no-progress"], {
      cwd: starter,
      timeoutMs: 120_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const accuracy = Number(/test\/accuracy=([\d.]+)/.exec(run.stdout)?.[1]);
    expect(accuracy).toBeGreaterThan(0.6);
    expect(readdirSync(join(starter, "runs", "my-starter"))).toHaveLength(1);
  }, 180_000);

  test("--example fashion-mnist writes the default pipeline, which type-checks", async () => {
    const dir = join(scratch, "fmnist");
    const init = await tipi(["init", dir, "--example", "fashion-mnist"]);
    expect(init.code).toBe(0);
    for (const file of [
      "pipeline.toml",
      "pipeline.ts",
      "model.ts",
      "train.ts",
      "custom-train.ts",
      "sweep.yaml",
    ]) {
      expect(readFileSync(join(dir, file), "utf8")).toBe(
        readFileSync(join(REPO, "examples/fashion-mnist", file), "utf8"),
      );
    }
    const pkg = manifest(join(dir, "package.json"));
    expect(pkg.dependencies["@tensorflow/tfjs-core"]).toBe(
      tfjsDependencies["@tensorflow/tfjs-core"],
    );
    linkInstall(dir);
    const tsc = await exec(process.execPath, [join(dir, "node_modules/typescript/bin/tsc")], dir);
    expect(tsc.output).toBe("");
    expect(tsc.code).toBe(0);
    const validate = await tipi(["validate", "pipeline.toml"], { cwd: dir });
    expect(validate.code, validate.stderr).toBe(0);
    // docs/sweeps.md's quick start, as the project's README spells it
    const sweep = await tipi(["sweep", "pipeline.toml", "sweep.yaml", "--dry-run"], { cwd: dir });
    expect(sweep.code, sweep.stderr).toBe(0);
  }, 120_000);

  test("inside this workspace, dependencies are workspace:*", async () => {
    const init = await tipi(["init", inWorkspace]);
    expect(init.code).toBe(0);
    expect(manifest(join(inWorkspace, "package.json")).dependencies.tipi).toBe("workspace:*");
    expect(init.stdout).toContain("pnpm install");
  });
});
