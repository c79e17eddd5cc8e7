import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { deviceParams } from "../src/permanences/device.ts";
import { hyperparametersParams } from "../src/permanences/hyperparameters.ts";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const recorder = join(packageDir, "test/fixtures/module-recorder.mjs");
const work = mkdtempSync(join(tmpdir(), "tipi-imports-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HEAVY = {
  "@tensorflow/tfjs-core": /[\\/]@tensorflow[\\/]tfjs-core[\\/]/,
  "@tensorflow/tfjs-layers": /[\\/]@tensorflow[\\/]tfjs-layers[\\/]/,
  "@tensorflow/tfjs-backend-cpu": /[\\/]@tensorflow[\\/]tfjs-backend-cpu[\\/]/,
  "@tensorflow/tfjs-backend-wasm": /[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]/,
  sharp: /[\\/]node_modules[\\/]sharp[\\/]/,
};

/** Runs `script` (an ES module body) in a fresh Node with TypeScript support; the heavy packages it loaded. */
async function heavyPackagesLoadedBy(name: string, script: string): Promise<string[]> {
  const log = join(work, `${name}.log`);
  await run(
    process.execPath,
    ["--import", "tsx", "--import", recorder, "--input-type=module", "-e", script],
    { cwd: packageDir, env: { ...process.env, TIPI_MODULE_LOG: log } },
  );
  const modules = readFileSync(log, "utf8").split("\n");
  return Object.entries(HEAVY)
    .filter(([, pattern]) => modules.some((m) => pattern.test(m)))
    .map(([pkg]) => pkg);
}

const src = (file: string) => JSON.stringify(new URL(`../src/${file}`, import.meta.url).href);

describe("the registration entry point (@tipi/tfjs/registry)", () => {
  it("registers and validates every type without loading tfjs or sharp", async () => {
    const loaded = await heavyPackagesLoadedBy(
      "registry",
      `
      import { Registry } from "@tipi/core";
      const { registerTfjs } = await import(${src("registry.ts")});
      const registry = registerTfjs(new Registry());
      const configs = {
        Device: { backend: "wasm" },
        Network: { architecture: "small-cnn" },
        Data: { source: "fashion-mnist", trainLimit: 64 },
        Hyperparameters: { epochs: 2, lrSchedule: "cosine" },
      };
      for (const [type, params] of Object.entries(configs)) {
        const result = await registry.permanence(type).params["~standard"].validate(params);
        if (result.issues) throw new Error(type + ": " + JSON.stringify(result.issues));
        new (registry.permanence(type))(params);
      }
      for (const type of ["TrainingProcess", "EvaluationProcess"]) {
        if (!registry.process(type)) throw new Error(type + " is not registered");
      }
      `,
    );
    expect(loaded).toEqual([]);
  }, 60_000);

  it("the detector sees tfjs and sharp when they are loaded (control)", async () => {
    const loaded = await heavyPackagesLoadedBy(
      "index",
      `
      await import(${src("index.ts")});
      const { loadSharp } = await import(${src("lazy/modules.ts")});
      await loadSharp();
      `,
    );
    expect(loaded).toEqual(expect.arrayContaining(["@tensorflow/tfjs-core", "sharp"]));
  }, 60_000);
});

describe("tfjs's schemas (zod's CommonJS build) with a user's zod (its ES module build)", () => {
  it("compose, extend and report nested paths", () => {
    const config = z.object({ device: deviceParams, note: z.string() });
    expect(config.parse({ device: {}, note: "x" }).device.backend).toBe("auto");
    const bad = config.safeParse({ device: { memoryLimit: 2 }, note: "x" });
    expect(bad.error?.issues[0]?.path).toEqual(["device", "memoryLimit"]);
    const extended = hyperparametersParams.extend({ label: z.string() });
    expect(extended.parse({ label: "a" })).toMatchObject({ epochs: 10, label: "a" });
    expect(deviceParams).toBeInstanceOf(z.ZodObject);
  });
});
