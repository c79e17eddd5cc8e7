/**
 * The real `@tensorflow/tfjs-node-gpu` JavaScript for tests, installed from the npm registry
 * with its install script skipped (that script downloads libtensorflow and the native addon from
 * storage.googleapis.com: nothing outside the registry is fetched, and no addon exists). Cached
 * under node_modules/.cache, so only the first run installs (~10 s with a warm npm cache).
 *
 * tfjs-core, tfjs-backend-cpu and tfjs-layers are linked to the very copies tipi uses, as npm's
 * and pnpm's deduplication do in a user's project (same version: one copy); anything else the
 * package brings (@tensorflow/tfjs, converter, data, webgl, node-pre-gyp…) is its own.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";
import { type FakeGpu, fakeNvidiaSmi } from "./backend-fixtures.ts";

export const TFJS_NODE_GPU_VERSION = "4.22.0";
const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, "../../..");
const CACHE = join(REPO_ROOT, "node_modules/.cache", `tipi-tfjs-node-gpu-${TFJS_NODE_GPU_VERSION}`);
const MARKER = ".tipi-fixture-complete";
const SHARED = ["@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-cpu", "@tensorflow/tfjs-layers"];
const tipiRequire = createRequire(join(here, "../src/index.ts"));

/** The folder whose node_modules holds the real tfjs-node-gpu (installing it on first call). */
export async function realTfjsNodeGpu(): Promise<string> {
  if (isComplete(CACHE)) return CACHE;
  const staging = `${CACHE}.staging-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    await writeFile(
      join(staging, "package.json"),
      JSON.stringify({ name: "tipi-tfjs-node-gpu-fixture", private: true }),
    );
    await promisify(execFile)(
      "npm",
      [
        "install",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--no-package-lock",
        "--loglevel=error",
        `@tensorflow/tfjs-node-gpu@${TFJS_NODE_GPU_VERSION}`,
      ],
      {
        cwd: staging,
        timeout: 300_000,
        env: { ...process.env, npm_config_ignore_scripts: "true" },
      },
    ).catch((error: unknown) => {
      throw new Error(
        `installing @tensorflow/tfjs-node-gpu@${TFJS_NODE_GPU_VERSION} from the npm registry failed (the real-package test needs the registry once; later runs use ${CACHE}): ${String(error)}`,
      );
    });
    for (const name of SHARED) {
      const ours = dirname(tipiRequire.resolve(`${name}/package.json`));
      const theirs = join(staging, "node_modules", name);
      if (versionOf(ours) !== versionOf(theirs)) {
        throw new Error(
          `${name}: tipi has ${versionOf(ours)}, tfjs-node-gpu brought ${versionOf(theirs)}`,
        );
      }
      await rm(theirs, { recursive: true, force: true });
      await symlink(ours, theirs, "dir");
    }
    await writeFile(join(staging, MARKER), new Date().toISOString());
    if (isComplete(CACHE)) return CACHE;
    await rm(CACHE, { recursive: true, force: true }); // half-written, or linked to a moved checkout
    await rename(staging, CACHE).catch(async (error: unknown) => {
      // Another test process finished first: use its copy.
      if (!isComplete(CACHE)) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return CACHE;
}

/** What a test of the real package works in; read the fields in tests and hooks (set before them). */
export interface RealGpuMachine {
  /** The folder whose node_modules holds the real tfjs-node-gpu (`resolvePaths`). */
  readonly root: string;
  /** A scratch folder of the test file's own. */
  readonly work: string;
  /** `<work>/nvidia-smi`, a fake listing the machine's GPUs ({@link fakeNvidiaSmi}). */
  readonly nvidiaSmi: string;
}

/**
 * For a test file of the real tfjs-node-gpu JavaScript: before its tests, installs the package
 * ({@link realTfjsNodeGpu}) and makes a scratch folder `<tmp>/<prefix>XXXXXX` holding a fake
 * `nvidia-smi` that lists `gpus` (with `apps`, also `<work>/apps`, whose files the fake's
 * `--query-compute-apps` prints); removes the folder after them. Call it at the top of the file.
 */
export function useRealGpuMachine(
  prefix: string,
  gpus: readonly FakeGpu[],
  options: { apps?: boolean } = {},
): RealGpuMachine {
  const machine = { root: "", work: "", nvidiaSmi: "" };
  beforeAll(async () => {
    machine.root = await realTfjsNodeGpu();
    machine.work = await mkdtemp(join(tmpdir(), prefix));
    machine.nvidiaSmi = join(machine.work, "nvidia-smi");
    const appsDir = options.apps ? join(machine.work, "apps") : undefined;
    if (appsDir !== undefined) await mkdir(appsDir);
    await writeFile(
      machine.nvidiaSmi,
      `#!/bin/sh\n${fakeNvidiaSmi(gpus, { ...(appsDir ? { appsDir } : {}) })}`,
      {
        mode: 0o755,
      },
    );
  }, 300_000);
  afterAll(async () => {
    if (machine.work) await rm(machine.work, { recursive: true, force: true });
  });
  return machine;
}

/** Installed, and its shared packages still link to the copies tipi uses now. */
function isComplete(dir: string): boolean {
  if (!existsSync(join(dir, MARKER))) return false;
  return SHARED.every((name) => {
    const link = join(dir, "node_modules", name);
    const ours = dirname(tipiRequire.resolve(`${name}/package.json`));
    return existsSync(link) && realpathSync(link) === realpathSync(ours);
  });
}

function versionOf(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string })
    .version;
}
