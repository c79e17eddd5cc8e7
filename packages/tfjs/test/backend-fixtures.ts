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
