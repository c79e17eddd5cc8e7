import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { describe, expect, it } from "vitest";
import { CUDA_LIBRARIES, missingCudaLibraries } from "../src/backend/cuda-libraries.ts";
import { smallCnn } from "../src/train/architectures.ts";
import { train } from "../src/train/train-loop.ts";
import { GPU_A, GPU_B, TWO_GPUS, withoutGpuEnv } from "./backend-fixtures.ts";
import { REPO_ROOT, TFJS_NODE_GPU_VERSION, useRealGpuMachine } from "./real-tfjs-node-gpu.ts";
import { blobs } from "./train-helpers.ts";

// The real @tensorflow/tfjs-node-gpu 4.22.0 JavaScript (installed without its install script),
// with only its native addon replaced by test/fixtures/tfjs-node-gpu/fake-tfjs-binding.cjs, each
// case in a fresh process (libtensorflow loads once per process, reading its environment then).
const FIXTURES = join(REPO_ROOT, "packages/tfjs/test/fixtures/tfjs-node-gpu");
// GPU A: PCI 0, nvidia-smi's GPU 0; GPU B: PCI 1, the freest, CUDA's fastest.
const MACHINE = { gpus: [GPU_A, GPU_B], fastestFirst: [1, 0] };

interface CaseResult {
  readonly choice?: {
    name: string;
    reason: string;
    skipped: { backend: string; reason: string }[];
    gpu?: { index: number; uuid: string };
    tfEnv?: Record<string, string>;
  };
  readonly error?: { backend: string; reason: string };
  readonly backend: string;
  readonly processEnv: Record<string, string | undefined>;
  readonly tensorflowKernels?: string[];
  readonly sum?: number[];
  readonly product?: number[];
  readonly oneEngine?: boolean;
  readonly oneCore?: boolean;
  readonly alreadyRegistered: number;
}

interface AddonRecord {
  readonly env: Record<string, string | undefined>;
  readonly device: string | null;
  readonly usingGpu: boolean;
  readonly ops: string[];
}

const machine = useRealGpuMachine("tipi-real-gpu-", TWO_GPUS);
let counter = 0;

/** Runs one case; `addon` false runs without the fake (the addon is simply missing then). */
async function runCase(
  options: { backend?: string; env?: Record<string, string> },
  setup: {
    addon?: false | { cuda?: boolean };
    processEnv?: Record<string, string>;
  } = {},
): Promise<{ result: CaseResult; addon: AddonRecord | undefined }> {
  const record = join(machine.work, `addon-${counter++}.json`);
  const env = withoutGpuEnv();
  delete env.TIPI_BACKEND;
  Object.assign(env, setup.processEnv);
  env.TIPI_FAKE_TF_ADDON = JSON.stringify({ ...MACHINE, cuda: true, ...setup.addon, record });
  const preload = setup.addon === false ? [] : ["--require", join(FIXTURES, "preload.cjs")];
  const input = { ...options, resolvePaths: [machine.root], nvidiaSmi: machine.nvidiaSmi };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...preload, "--import", "tsx", join(FIXTURES, "resolve-case.ts"), JSON.stringify(input)],
    { cwd: REPO_ROOT, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`no RESULT line in:\n${stdout}`);
  const addon = existsSync(record)
    ? (JSON.parse(readFileSync(record, "utf8")) as AddonRecord)
    : undefined;
  return { result: JSON.parse(line.slice("RESULT ".length)) as CaseResult, addon };
}

describe(`real @tensorflow/tfjs-node-gpu ${TFJS_NODE_GPU_VERSION} with a fake addon`, () => {
  it("GPU present: picks the freest GPU by UUID, confirms it, and computes through the addon", async () => {
    const { result, addon } = await runCase({});
    expect(result.choice?.name).toBe("tensorflow-gpu");
    expect(result.backend).toBe("tensorflow");
    expect(result.choice?.gpu).toMatchObject({ index: 1, uuid: GPU_B });
    // What libtensorflow saw when it loaded, and the GPU it uses: the one tipi reports.
    expect(addon?.env.CUDA_VISIBLE_DEVICES).toBe(GPU_B);
    expect(addon?.device).toBe(GPU_B);
    expect(result.choice?.reason).toContain("GPU 1 (Fake GPU B, 9000 of 16000 MiB free");
    expect(result.choice?.tfEnv).toEqual({
      CUDA_VISIBLE_DEVICES: GPU_B,
      TF_FORCE_GPU_ALLOW_GROWTH: "true",
    });
    // Kernels run through tfjs-node's code into the addon and back, on one engine and one core.
    expect(result.sum).toEqual([4, 6]);
    expect(result.product).toEqual([11]);
    expect(addon?.ops).toEqual(expect.arrayContaining(["Add", "BatchMatMulV2"]));
    expect(result.oneEngine).toBe(true);
    expect(result.oneCore).toBe(true);
    expect(result.alreadyRegistered).toBe(0);
  });

  it("CUDA missing: no GPU device, so tensorflow-gpu is skipped with what to install and auto falls through", async () => {
    const { result, addon } = await runCase({}, { addon: { cuda: false } });
    expect(addon?.usingGpu).toBe(false);
    const skipped = result.choice?.skipped.find((s) => s.backend === "tensorflow-gpu");
    expect(skipped?.reason).toMatch(
      /^@tensorflow\/tfjs-node-gpu loaded, but TensorFlow registered no GPU device/,
    );
    const missing = await missingCudaLibraries();
    if (missing.length > 0) {
      expect(skipped?.reason).toContain(`${missing.join(", ")} not found`);
      expect(skipped?.reason).toContain("CUDA 11.2 (not 12) and cuDNN 8.1");
    }
    // The libtensorflow already loaded serves as the CPU backend; no second one is loaded.
    expect(result.choice?.name).toBe("tensorflow");
    expect(result.choice?.reason).toMatch(/already loaded in this process, on the CPU/);
    expect(result.sum).toEqual([4, 6]);

    const forced = await runCase({ backend: "tensorflow-gpu" }, { addon: { cuda: false } });
    expect(forced.result.error?.backend).toBe("tensorflow-gpu");
    expect(forced.result.error?.reason).toMatch(/registered no GPU device/);
  });

  it("CUDA libraries present but no device: the reason says the driver refused", async () => {
    const libs = join(machine.work, "cuda-libs");
    await mkdir(libs, { recursive: true });
    for (const name of CUDA_LIBRARIES) await writeFile(join(libs, name), "");
    const { result } = await runCase(
      {},
      { addon: { cuda: false }, processEnv: { LD_LIBRARY_PATH: libs } },
    );
    const skipped = result.choice?.skipped.find((s) => s.backend === "tensorflow-gpu");
    expect(skipped?.reason).toMatch(/libraries were found, so the driver or the device refused/);
  });

  it("the user's CUDA_VISIBLE_DEVICES index is nvidia-smi's GPU, reported and measured as the one TF uses", async () => {
    const { result, addon } = await runCase({}, { processEnv: { CUDA_VISIBLE_DEVICES: "0" } });
    expect(result.choice?.name).toBe("tensorflow-gpu");
    // CUDA's own order is fastest-first (B, A): without PCI order, "0" would be GPU B.
    expect(addon?.env).toMatchObject({
      CUDA_VISIBLE_DEVICES: "0",
      CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    });
    expect(addon?.device).toBe(GPU_A);
    expect(result.choice?.gpu).toMatchObject({ index: 0, uuid: GPU_A });
    expect(result.choice?.reason).toContain("CUDA_VISIBLE_DEVICES=0 (set by the user)");
  });

  it("an empty CUDA_VISIBLE_DEVICES hides every GPU: kept, and tfjs-node-gpu is not even loaded", async () => {
    const { result, addon } = await runCase({}, { processEnv: { CUDA_VISIBLE_DEVICES: "" } });
    expect(addon).toBeUndefined();
    expect(result.processEnv.CUDA_VISIBLE_DEVICES).toBe("");
    expect(result.choice?.skipped[0]).toEqual({
      backend: "tensorflow-gpu",
      reason:
        'CUDA_VISIBLE_DEVICES="" (set by the user) hides every GPU from CUDA: unset it, or name a GPU',
    });
    expect(result.choice?.name).toBe("wasm");
  });

  it("the env option reaches process.env before TensorFlow loads", async () => {
    const { result, addon } = await runCase({ env: { CUDA_VISIBLE_DEVICES: "1" } });
    expect(addon?.env).toMatchObject({
      CUDA_VISIBLE_DEVICES: "1",
      CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    });
    expect(addon?.device).toBe(GPU_B);
    expect(result.choice?.gpu?.uuid).toBe(GPU_B);
  });

  it("memory growth is on at load unless the user set it", async () => {
    const growth = await runCase({});
    expect(growth.addon?.env.TF_FORCE_GPU_ALLOW_GROWTH).toBe("true");
    const user = await runCase({}, { processEnv: { TF_FORCE_GPU_ALLOW_GROWTH: "false" } });
    expect(user.addon?.env.TF_FORCE_GPU_ALLOW_GROWTH).toBe("false");
    expect(user.result.choice?.reason).not.toContain("TF_FORCE_GPU_ALLOW_GROWTH");
  });

  it("without its addon (install script skipped) the error keeps tfjs's npm rebuild advice and adds tipi's", async () => {
    const { result } = await runCase({}, { addon: false });
    const skipped = result.choice?.skipped.find((s) => s.backend === "tensorflow-gpu");
    expect(skipped?.reason).toMatch(
      /^@tensorflow\/tfjs-node-gpu failed to load: The Node.js native addon module \(tfjs_binding.node\) can not be found at path: .*lib\/napi-v\d+\/tfjs_binding.node\. Please run command 'npm rebuild @tensorflow\/tfjs-node-gpu --build-addon-from-source'/,
    );
    expect(skipped?.reason).toContain("pnpm approve-builds");
    expect(result.choice?.name).toBe("wasm");
  });

  it("kernel coverage: every kernel tipi's train loop dispatches is registered natively by tfjs-node", async () => {
    // The kernels one epoch of the default CNN dispatches (forward, backward, Adam, metrics,
    // validation), recorded on the cpu backend here: kernel names do not depend on the backend.
    await tf.setBackend("cpu");
    const data = blobs(8, 28 * 28, 10);
    const model = smallCnn({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
    // Every kernel goes through engine.runKernel, also those a fused op's forward calls.
    const engine = tf.engine();
    const runKernel = engine.runKernel;
    const names = new Set<string>();
    engine.runKernel = function (this: typeof engine, ...args: Parameters<typeof runKernel>) {
      names.add(args[0]);
      return runKernel.apply(this, args);
    } as typeof runKernel;
    try {
      await train({
        model,
        train: data,
        validation: blobs(4, 28 * 28, 10, 9),
        epochs: 1,
        batchSize: 4,
      });
    } finally {
      engine.runKernel = runKernel;
    }
    const dispatched = [...names].sort();
    expect(dispatched).toEqual(
      expect.arrayContaining([
        "Conv2D",
        "Conv2DBackpropFilter",
        "Conv2DBackpropInput",
        "MaxPoolGrad",
      ]),
    );
    const { result } = await runCase({});
    const native = new Set(result.tensorflowKernels);
    const notNative = dispatched.filter((name) => !native.has(name));
    expect(notNative, `not registered for "tensorflow": ${notNative.join(", ")}`).toEqual([]);
  });
});
