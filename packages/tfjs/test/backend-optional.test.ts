import * as tf from "@tensorflow/tfjs-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultResolvePaths } from "../src/backend/optional-module.ts";
import { resolveBackend } from "../src/backend/resolve-backend.ts";
import { createFixtureDir, FAKE_TFJS_NODE, type FixtureDir } from "./backend-fixtures.ts";

// tfjs-node(-gpu) cannot be installed here (their install downloads libtensorflow), so these tests
// install stand-ins into a temporary node_modules and point resolveBackend at it.
const GPU_LIST = 'printf "0, 10, 100\\n1, 90, 100\\n"';

describe("resolveBackend with tfjs-node packages present", () => {
  // A fresh folder per test: Node caches an imported file, even one whose import threw.
  let fixture: FixtureDir;
  const paths = () => [fixture.root, ...defaultResolvePaths()];

  beforeEach(async () => {
    fixture = await createFixtureDir();
  });
  afterEach(async () => {
    delete process.env.CUDA_VISIBLE_DEVICES;
    await fixture.dispose();
  });

  it("records a tfjs-node that fails to load and falls back to wasm", async () => {
    await fixture.addPackage(
      "@tensorflow/tfjs-node",
      'throw new Error("libtensorflow.so.2: cannot open shared object file: No such file or directory");',
    );
    const choice = await resolveBackend({ resolvePaths: paths(), env: {} });
    expect(choice.name).toBe("wasm");
    expect(choice.skipped).toContainEqual({
      backend: "tensorflow",
      reason:
        "@tensorflow/tfjs-node failed to load: libtensorflow.so.2: cannot open shared object file: No such file or directory",
    });
  });

  it("refuses a tfjs-node built on another tfjs-core without importing it", async () => {
    await fixture.addPackage("@tensorflow/tfjs-node", 'throw new Error("imported anyway");');
    await fixture.addPackage(
      "@tensorflow/tfjs-node/node_modules/@tensorflow/tfjs-core",
      "module.exports = {};",
      "4.0.0",
    );
    const choice = await resolveBackend({ resolvePaths: paths(), env: {} });
    const reason = choice.skipped.find((s) => s.backend === "tensorflow")?.reason;
    expect(reason).toBe(
      "@tensorflow/tfjs-node uses @tensorflow/tfjs-core 4.0.0 but tipi uses 4.22.0: install @tensorflow/tfjs-node@4.22.0",
    );
  });

  it("skips tfjs-node-gpu when nvidia-smi is absent or fails", async () => {
    await fixture.addPackage("@tensorflow/tfjs-node-gpu", 'throw new Error("must not load");');
    const absent = await resolveBackend({
      resolvePaths: paths(),
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
    const failed = await resolveBackend({ resolvePaths: paths(), nvidiaSmi: broken, env: {} });
    expect(failed.skipped[0]?.reason).toMatch(/^no GPU: .*driver\/library version mismatch/);
  });

  it("sets CUDA_VISIBLE_DEVICES to the freest GPU before tfjs-node-gpu loads", async () => {
    await fixture.addPackage(
      "@tensorflow/tfjs-node-gpu",
      'throw new Error("libcudnn.so.8 missing (CUDA_VISIBLE_DEVICES=" + process.env.CUDA_VISIBLE_DEVICES + ")");',
    );
    const smi = await fixture.addScript("nvidia-smi", GPU_LIST);
    const choice = await resolveBackend({ resolvePaths: paths(), nvidiaSmi: smi });
    expect(choice.skipped[0]).toEqual({
      backend: "tensorflow-gpu",
      reason:
        "@tensorflow/tfjs-node-gpu failed to load: libcudnn.so.8 missing (CUDA_VISIBLE_DEVICES=1)",
    });
  });

  it("uses a working tfjs-node-gpu through tipi's tfjs-core, on the freest GPU", async () => {
    await fixture.linkPackage("@tensorflow/tfjs-core");
    await fixture.linkPackage("@tensorflow/tfjs-backend-cpu");
    await fixture.addPackage("@tensorflow/tfjs-node-gpu", FAKE_TFJS_NODE);
    const smi = await fixture.addScript("nvidia-smi", GPU_LIST);
    const choice = await resolveBackend({ resolvePaths: paths(), nvidiaSmi: smi });
    expect(choice.name).toBe("tensorflow-gpu");
    expect(choice.tfjsBackend).toBe("tensorflow");
    expect(choice.gpu).toEqual({ index: 1, freeMiB: 90, totalMiB: 100 });
    expect(choice.reason).toMatch(/GPU 1 \(90 of 100 MiB free, the most of 2\)/);
    expect(Reflect.get(globalThis, "__fakeTfjsNodeCuda")).toBe("1");
    expect(choice.skipped.map((s) => s.reason)).toEqual([
      "lower priority than tensorflow-gpu",
      "lower priority than tensorflow-gpu",
      "lower priority than tensorflow-gpu",
    ]);
    const product = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(tf.getBackend()).toBe("tensorflow");
    expect(Array.from(await product.data())).toEqual([11]);
  });

  it("leaves a CUDA_VISIBLE_DEVICES chosen by the user alone", async () => {
    await fixture.linkPackage("@tensorflow/tfjs-core");
    await fixture.linkPackage("@tensorflow/tfjs-backend-cpu");
    await fixture.addPackage("@tensorflow/tfjs-node-gpu", FAKE_TFJS_NODE);
    const smi = await fixture.addScript("nvidia-smi", GPU_LIST);
    const env = { CUDA_VISIBLE_DEVICES: "0" };
    const choice = await resolveBackend({ resolvePaths: paths(), nvidiaSmi: smi, env });
    expect(env.CUDA_VISIBLE_DEVICES).toBe("0");
    expect(choice.reason).toMatch(/CUDA_VISIBLE_DEVICES=0 \(set by the user\)/);
  });
});
