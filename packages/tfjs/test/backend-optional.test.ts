import * as tf from "@tensorflow/tfjs-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { oneLineMessage } from "../src/backend/optional-module.ts";
import { _forgetNativeLoad, resolveBackend } from "../src/backend/resolve-backend.ts";
import {
  createFixtureDir,
  FAKE_TFJS_NODE,
  type FixtureDir,
  saveGpuEnv,
} from "./backend-fixtures.ts";

// Stand-ins for tfjs-node(-gpu) in a temporary node_modules, the only place resolveBackend looks
// (`resolvePaths`), so what is installed in this workspace does not matter. The real
// tfjs-node-gpu JavaScript is tested in backend-tfjs-node-gpu.test.ts.
const GPU_LIST = 'printf "0, GPU-aaaa, 10, 100, A\\n1, GPU-bbbb, 90, 100, B\\n"';

describe("resolveBackend with tfjs-node packages present", () => {
  // A fresh folder per test: Node caches an imported file, even one whose import threw.
  let fixture: FixtureDir;
  const gpuEnv = saveGpuEnv();

  beforeEach(async () => {
    fixture = await createFixtureDir();
  });
  afterEach(async () => {
    gpuEnv.restore();
    _forgetNativeLoad();
    await tf.setBackend("cpu");
    await fixture.dispose();
  });

  it("records a tfjs-node that fails to load and falls back to wasm", async () => {
    await fixture.addPackage(
      "@tensorflow/tfjs-node",
      'throw new Error("libtensorflow.so.2: cannot open shared object file: No such file or directory");',
    );
    const choice = await resolveBackend({ resolvePaths: [fixture.root], env: {} });
    expect(choice.name).toBe("wasm");
    expect(choice.skipped).toContainEqual({
      backend: "tensorflow",
      reason:
        "@tensorflow/tfjs-node failed to load: libtensorflow.so.2: cannot open shared object file: No such file or directory",
    });
  });

  it("TIPI_RESOLVE_PATHS replaces the default lookup of the optional packages", async () => {
    await fixture.addPackage(
      "@tensorflow/tfjs-node",
      'throw new Error("found through TIPI_RESOLVE_PATHS");',
    );
    const choice = await resolveBackend({ env: { TIPI_RESOLVE_PATHS: fixture.root } });
    expect(choice.skipped.find((s) => s.backend === "tensorflow")?.reason).toBe(
      "@tensorflow/tfjs-node failed to load: found through TIPI_RESOLVE_PATHS",
    );
  });

  it("refuses a tfjs-node whose @tensorflow/tfjs loads another tfjs-core, without importing it", async () => {
    await fixture.addPackage("@tensorflow/tfjs-node", 'throw new Error("imported anyway");');
    // tfjs-node registers through @tensorflow/tfjs; that package's tfjs-core is the one that counts.
    await fixture.addPackage("@tensorflow/tfjs", "module.exports = {};", "4.21.0");
    await fixture.addPackage(
      "@tensorflow/tfjs/node_modules/@tensorflow/tfjs-core",
      "module.exports = {};",
      "4.21.0",
    );
    const choice = await resolveBackend({ resolvePaths: [fixture.root], env: {} });
    const reason = choice.skipped.find((s) => s.backend === "tensorflow")?.reason;
    expect(reason).toBe(
      "@tensorflow/tfjs-node loads @tensorflow/tfjs-core 4.21.0 (through @tensorflow/tfjs) but tipi uses 4.22.0: install @tensorflow/tfjs-node@4.22.0",
    );
  });

  it("skips tfjs-node-gpu when nvidia-smi is absent or fails", async () => {
    await fixture.addPackage("@tensorflow/tfjs-node-gpu", 'throw new Error("must not load");');
    const absent = await resolveBackend({
      resolvePaths: [fixture.root],
      nvidiaSmi: `${fixture.root}/nvidia-smi-absent`,
      env: {},
    });
    expect(absent.skipped[0]).toEqual({
      backend: "tensorflow-gpu",
      reason: expect.stringMatching(/^no GPU: .*nvidia-smi-absent not found$/),
    });
    const broken = await fixture.addScript(
      "nvidia-smi-broken",
      'echo "driver/library version mismatch" >&2; exit 18',
    );
    const failed = await resolveBackend({
      resolvePaths: [fixture.root],
      nvidiaSmi: broken,
      env: {},
    });
    expect(failed.skipped[0]?.reason).toMatch(/^no GPU: .*driver\/library version mismatch/);
  });

  it("writes the TensorFlow variables into process.env before tfjs-node-gpu loads", async () => {
    await fixture.addPackage(
      "@tensorflow/tfjs-node-gpu",
      'throw new Error("libcudnn.so.8 missing (CUDA_VISIBLE_DEVICES=" + process.env.CUDA_VISIBLE_DEVICES + ", growth " + process.env.TF_FORCE_GPU_ALLOW_GROWTH + ")");',
    );
    const smi = await fixture.addScript("nvidia-smi", GPU_LIST);
    const choice = await resolveBackend({ resolvePaths: [fixture.root], nvidiaSmi: smi, env: {} });
    expect(choice.skipped[0]).toEqual({
      backend: "tensorflow-gpu",
      reason:
        "@tensorflow/tfjs-node-gpu failed to load: libcudnn.so.8 missing (CUDA_VISIBLE_DEVICES=GPU-bbbb, growth true)",
    });
  });

  it("uses a tfjs-node-gpu that reports a GPU device, through tipi's tfjs-core", async () => {
    await fixture.linkPackage("@tensorflow/tfjs-core");
    await fixture.linkPackage("@tensorflow/tfjs-backend-cpu");
    await fixture.addPackage("@tensorflow/tfjs-node-gpu", FAKE_TFJS_NODE);
    const smi = await fixture.addScript("nvidia-smi", GPU_LIST);
    const choice = await resolveBackend({ resolvePaths: [fixture.root], nvidiaSmi: smi, env: {} });
    expect(choice.name).toBe("tensorflow-gpu");
    expect(choice.tfjsBackend).toBe("tensorflow");
    expect(choice.gpu).toEqual({
      index: 1,
      uuid: "GPU-bbbb",
      name: "B",
      freeMiB: 90,
      totalMiB: 100,
    });
    expect(Reflect.get(globalThis, "__fakeTfjsNodeCuda")).toBe("GPU-bbbb");
    const product = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await product.data())).toEqual([11]);
    // Resolving again reuses what loaded: libtensorflow loads once per process.
    const again = await resolveBackend({ resolvePaths: [fixture.root], nvidiaSmi: smi, env: {} });
    expect(again.reason).toMatch(/loaded earlier in this process/);
  });
});

describe("oneLineMessage", () => {
  it("keeps every line of the message on one line and drops Node's require stack", () => {
    const error = new Error(
      "The Node.js native addon module (tfjs_binding.node) can not be found at path: /x. \nPlease run command 'npm rebuild @tensorflow/tfjs-node-gpu --build-addon-from-source' to rebuild. \nIf you have problem…\nRequire stack:\n- /a.js\n- /b.js",
    );
    expect(oneLineMessage(error)).toBe(
      "The Node.js native addon module (tfjs_binding.node) can not be found at path: /x. Please run command 'npm rebuild @tensorflow/tfjs-node-gpu --build-addon-from-source' to rebuild. If you have problem…",
    );
    expect(oneLineMessage("x".repeat(700))).toHaveLength(600);
    expect(oneLineMessage(new Error(""))).toBe("unknown error");
  });
});
