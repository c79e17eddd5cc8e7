// tipi as a user gets it: every package published at its current version to a real npm registry
// (verdaccio) on 127.0.0.1, then installed with npm and with pnpm into folders outside this
// workspace, type-checked under a strict tsconfig, compiled and run with plain node, trained
// through `npx tipi`, and `tipi init`'s project installed, tested and started.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type LocalRegistry, startRegistryWithTipi } from "./fixtures/registry/registry.ts";

const work = mkdtempSync(join(tmpdir(), "tipi-consumer-"));
const app = join(work, "app");
let registry: LocalRegistry;

beforeAll(async () => {
  registry = await startRegistryWithTipi(work);
}, 120_000);

afterAll(() => {
  registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Exec {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command against the local registry only; never rejects. */
function run(command: string, args: readonly string[], cwd: string, timeout = 300_000) {
  return new Promise<Exec>((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: registry.env, timeout, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** A user's pipeline: the DSL, tfjs permanences, the train join, testing helpers. */
const USER_PIPELINE = `import { Pipeline as CorePipeline } from "@tipi/core";
import { Device as TfjsDevice } from "@tipi/tfjs";
import {
  Data,
  Device,
  Hyperparameters,
  mlp,
  Network,
  Pipeline,
  type TipiEvent,
  trainJoin,
  trainResultSchema,
} from "tipi";
import { runStep } from "tipi/testing";
import { z } from "zod";

export const pipeline = Pipeline.create<{ readonly label: string }>({ name: "consumer" })
  .provide({ device: () => new Device({ backend: "cpu" }) })
  .provide({
    hyperparameters: () => new Hyperparameters({ epochs: 1, batchSize: 32, seed: 1 }),
    data: () => new Data({ source: "fashion-mnist", trainLimit: 64, testLimit: 32 }),
  })
  .provide({ network: (deps) => new Network({ build: mlp }, deps) })
  .stage("label", (s) => ({ ...s, upper: s.label.toUpperCase() }))
  .requireJoin("train", z.object({ label: z.string(), upper: z.string(), training: trainResultSchema }))
  .provideJoin("train", trainJoin());

const events: TipiEvent[] = [];
const result = await pipeline.run({ label: "tipi" }, { onEvent: (e) => events.push(e) });
if (result.isErr()) throw new Error(result.error.message);
const step = await runStep(pipeline, "label", { label: "one" }, {
  permanences: { device: {}, data: {}, network: {}, hyperparameters: {} },
});
console.log(JSON.stringify({
  upper: result.value.upper,
  steps: result.value.training.steps,
  metrics: events.filter((e) => e.type === "metric").length,
  stepUpper: step.result._unsafeUnwrap().upper,
  onePipeline: Pipeline === CorePipeline,
  oneDevice: Device === TfjsDevice,
}));
`;

/** The strict consumer settings of issue 9, with skipLibCheck off. */
function strictTsconfig(module: "NodeNext" | "Bundler", emit: boolean) {
  return {
    compilerOptions: {
      target: "ES2022",
      module: module === "NodeNext" ? "NodeNext" : "ESNext",
      moduleResolution: module,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      noPropertyAccessFromIndexSignature: true,
      skipLibCheck: false,
      types: ["node"],
      ...(emit ? { outDir: "out" } : { noEmit: true }),
    },
    files: ["pipeline.ts"],
  };
}

/** tsc's error lines, by the file they are in. */
function errorFiles(output: string): string[] {
  return output
    .split("\n")
    .filter((line) => /\(\d+,\d+\): error TS\d+/.test(line))
    .map((line) => line.slice(0, line.indexOf("(")));
}

describe.sequential("tipi installed from a registry", () => {
  test("npm install tipi", async () => {
    mkdirSync(app, { recursive: true });
    writeJson(join(app, "package.json"), { name: "app", private: true, type: "module" });
    const install = await run(
      "npm",
      ["install", "tipi", "zod@^4", "typescript@5.9.3", "@types/node@^20"],
      app,
    );
    expect(install.stderr).not.toMatch(/ERR!|npm error/);
    expect(install.code).toBe(0);
    const installed = JSON.parse(
      readFileSync(join(app, "node_modules/tipi/package.json"), "utf8"),
    ) as { version: string };
    const ours = JSON.parse(
      readFileSync(new URL("../packages/tipi/package.json", import.meta.url), "utf8"),
    ) as { version: string };
    expect(installed.version).toBe(ours.version);
  }, 600_000);

  test("the user's pipeline type-checks under NodeNext and Bundler; tipi's declarations have no errors", async () => {
    writeFileSync(join(app, "pipeline.ts"), USER_PIPELINE);
    for (const module of ["NodeNext", "Bundler"] as const) {
      writeJson(join(app, `tsconfig.${module}.json`), strictTsconfig(module, false));
      const tsc = await run(
        process.execPath,
        ["node_modules/typescript/bin/tsc", "-p", `tsconfig.${module}.json`],
        app,
      );
      // TensorFlow.js's own .d.ts fail strict checks (tfjs-layers under strictNullChecks):
      // not ours to fix. Every other file, tipi's and the user's, must be clean.
      const outsideTfjs = errorFiles(tsc.stdout).filter(
        (file) => !file.startsWith("node_modules/@tensorflow/"),
      );
      expect(outsideTfjs, `${module}:\n${tsc.stdout}`).toEqual([]);
      writeJson(join(app, `tsconfig.${module}.skip.json`), {
        ...strictTsconfig(module, false),
        compilerOptions: { ...strictTsconfig(module, false).compilerOptions, skipLibCheck: true },
      });
      const skipped = await run(
        process.execPath,
        ["node_modules/typescript/bin/tsc", "-p", `tsconfig.${module}.skip.json`],
        app,
      );
      expect(skipped.stdout, module).toBe("");
      expect(skipped.code).toBe(0);
    }
  }, 120_000);

  test("the compiled pipeline runs with plain node, with one instance of every class", async () => {
    writeJson(join(app, "tsconfig.build.json"), {
      ...strictTsconfig("NodeNext", true),
      compilerOptions: { ...strictTsconfig("NodeNext", true).compilerOptions, skipLibCheck: true },
    });
    const tsc = await run(
      process.execPath,
      ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"],
      app,
    );
    expect(tsc.stdout).toBe("");
    const node = await run(process.execPath, ["out/pipeline.js"], app);
    expect(node.code, node.stderr).toBe(0);
    const printed = JSON.parse(node.stdout.trim().split("\n").at(-1) ?? "{}") as Record<
      string,
      unknown
    >;
    expect(printed).toMatchObject({
      upper: "TIPI",
      stepUpper: "ONE",
      onePipeline: true,
      oneDevice: true,
    });
    expect(printed.steps).toBeGreaterThan(0);
    expect(printed.metrics).toBeGreaterThan(0);
  }, 120_000);

  test("npx tipi run trains the example for one small epoch", async () => {
    const init = await run("npx", ["tipi", "init", "example", "--example", "fashion-mnist"], app);
    expect(init.code, init.stderr).toBe(0);
    const train = await run(
      "npx",
      [
        "tipi",
        "run",
        "example/pipeline.toml",
        "--set",
        "hyperparameters.epochs=1",
        "--set",
        "data.trainLimit=256",
        "--set",
        "data.testLimit=200",
        "--no-progress",
      ],
      app,
    );
    expect(train.code, train.stderr).toBe(0);
    const accuracy = Number(/test\/accuracy=([\d.]+)/.exec(train.stdout)?.[1]);
    expect(accuracy).toBeGreaterThan(0.2);
  }, 300_000);

  test("npx tipi init demo && cd demo && npm install && npm test && npm start", async () => {
    const init = await run("npx", ["tipi", "init", "demo"], app);
    expect(init.code, init.stderr).toBe(0);
    const demo = join(app, "demo");
    const install = await run("npm", ["install"], demo);
    expect(install.code, install.stderr).toBe(0);
    const tests = await run("npm", ["test"], demo);
    expect(tests.code, `${tests.stdout}\n${tests.stderr}`).toBe(0);
    expect(tests.stdout).toContain("1 passed");
    const start = await run("npm", ["start", "--", "--no-progress"], demo);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toMatch(/test\/accuracy=0\.[5-9]/);
  }, 600_000);

  test("pnpm add tipi", async () => {
    const dir = join(work, "pnpm-app");
    mkdirSync(dir);
    writeJson(join(dir, "package.json"), { name: "pnpm-app", private: true, type: "module" });
    const add = await run("pnpm", ["add", "tipi", "--config.confirmModulesPurge=false"], dir);
    expect(add.code, `${add.stdout}\n${add.stderr}`).toBe(0);
    const version = await run("pnpm", ["exec", "tipi", "--version"], dir);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/);
    const imported = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'const t = await import("tipi"); const c = await import("@tipi/core").catch(() => null); console.log(typeof t.Pipeline.create, c === null)',
      ],
      dir,
    );
    // pnpm is strict: tipi is importable, its dependencies are not hoisted into the user's reach
    expect(imported.stdout.trim()).toBe("function true");
    const init = await run(
      "pnpm",
      ["exec", "tipi", "init", "ex", "--example", "fashion-mnist"],
      dir,
    );
    expect(init.code, init.stderr).toBe(0);
    const validate = await run("pnpm", ["exec", "tipi", "validate", "ex/pipeline.toml"], dir);
    expect(validate.code, validate.stderr).toBe(0);
  }, 600_000);
});
