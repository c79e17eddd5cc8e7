import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** The real folder of an installed package (as pnpm links it). */
function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/** A throw-away folder with its own node_modules, removed by `dispose()`. */
export interface FixtureDir {
  readonly root: string;
  /** Writes `node_modules/<name>` with a package.json and `index.js`. */
  addPackage(name: string, indexJs: string, version?: string): Promise<void>;
  /** Links a real installed package into the fixture's node_modules (like pnpm does). */
  linkPackage(name: string): Promise<void>;
  /** Writes an executable shell script and returns its path. */
  addScript(name: string, body: string): Promise<string>;
  dispose(): Promise<void>;
}

export async function createFixtureDir(): Promise<FixtureDir> {
  const root = await mkdtemp(join(tmpdir(), "tipi-backend-"));
  return {
    root,
    async addPackage(name, indexJs, version = "4.22.0") {
      const dir = join(root, "node_modules", name);
      await mkdir(dir, { recursive: true });
      await writeFile(
        join(dir, "package.json"),
        JSON.stringify({ name, version, main: "index.js" }),
      );
      await writeFile(join(dir, "index.js"), indexJs);
    },
    async linkPackage(name) {
      const link = join(root, "node_modules", name);
      await mkdir(dirname(link), { recursive: true });
      await symlink(packageDir(name), link, "dir");
    },
    async addScript(name, body) {
      const path = join(root, name);
      await writeFile(path, `#!/bin/sh\n${body}\n`);
      await chmod(path, 0o755);
      return path;
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * The body of a stand-in for tfjs-node(-gpu): like the real package it registers a `tensorflow`
 * backend in the tfjs-core it requires and makes it current at import, and the backend says
 * whether TensorFlow found a GPU (`isUsingGpuDevice`: yes for the -gpu stand-in). Its kernels
 * are the cpu backend's, so results are checkable without libtensorflow. The real package with
 * a fake addon is tested in backend-tfjs-node-gpu.test.ts.
 */
export const FAKE_TFJS_NODE = `
const tf = require("@tensorflow/tfjs-core");
const { MathBackendCPU } = require("@tensorflow/tfjs-backend-cpu");
if (!tf.getKernel("Add", "tensorflow")) {
  for (const kernel of tf.getKernelsForBackend("cpu")) {
    tf.registerKernel({ ...kernel, backendName: "tensorflow" });
  }
}
if (tf.findBackendFactory("tensorflow")) tf.removeBackend("tensorflow");
const gpu = __dirname.includes("tfjs-node-gpu");
tf.registerBackend("tensorflow", () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: gpu }), 3);
globalThis.__fakeTfjsNodeCuda = process.env.CUDA_VISIBLE_DEVICES;
if (!tf.setBackend("tensorflow")) throw new Error("Could not initialize TensorFlow backend.");
`;

/** The variables tipi sets for a GPU: a test starts without them and leaves them as it found them. */
export const GPU_ENV_NAMES = [
  "CUDA_VISIBLE_DEVICES",
  "CUDA_DEVICE_ORDER",
  "TF_FORCE_GPU_ALLOW_GROWTH",
] as const;

/** A copy of `env` without the GPU variables, for a subprocess that starts on a clean machine. */
export function withoutGpuEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of GPU_ENV_NAMES) delete copy[name];
  return copy;
}

/**
 * Notes the GPU variables of `process.env` as they are now; `restore()` puts them back (tipi
 * sets them in the process that resolves a GPU backend). Call it where the tests are declared,
 * `restore()` after each.
 */
export function saveGpuEnv(): { restore(): void } {
  const saved = new Map(GPU_ENV_NAMES.map((name) => [name, process.env[name]]));
  return {
    restore() {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}

/** A GPU as the fake nvidia-smi lists it. */
export interface FakeGpu {
  readonly uuid: string;
  readonly freeMiB: number;
  readonly totalMiB: number;
  readonly name: string;
}

/**
 * The body of a fake `nvidia-smi` shell script: tipi's query
 * (`--query-gpu=index,uuid,memory.free,memory.total,name`) lists `gpus` as GPU 0, 1, … in that
 * order; with `appsDir`, `--query-compute-apps` prints the files there (the fake addon writes a
 * `<pid>, <uuid>` line a process); anything else exits 2.
 */
export function fakeNvidiaSmi(
  gpus: readonly FakeGpu[],
  options: { appsDir?: string } = {},
): string {
  const rows = gpus
    .map((gpu, index) => `${index}, ${gpu.uuid}, ${gpu.freeMiB}, ${gpu.totalMiB}, ${gpu.name}\\n`)
    .join("");
  return [
    'case "$*" in',
    `  *--query-gpu=index,uuid,memory.free,memory.total,name*) printf "${rows}";;`,
    ...(options.appsDir === undefined
      ? []
      : [`  *--query-compute-apps*) cat "${options.appsDir}/"* 2>/dev/null; true;;`]),
    "  *) exit 2;;",
    "esac",
    "",
  ].join("\n");
}

/** GPU 0 of {@link TWO_GPUS}, on PCI bus 0. */
export const GPU_A = "GPU-aaaaaaaa-0000-0000-0000-000000000000";
/** GPU 1 of {@link TWO_GPUS}, on PCI bus 1: the freest. */
export const GPU_B = "GPU-bbbbbbbb-1111-1111-1111-111111111111";
/** The machine of the real tfjs-node-gpu tests, as its fake nvidia-smi lists it. */
export const TWO_GPUS: readonly FakeGpu[] = [
  { uuid: GPU_A, freeMiB: 1000, totalMiB: 16000, name: "Fake GPU A" },
  { uuid: GPU_B, freeMiB: 9000, totalMiB: 16000, name: "Fake GPU B" },
];
