import { execFile } from "node:child_process";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { withoutGpuEnv } from "./backend-fixtures.ts";
import { REPO_ROOT, useRealGpuMachine } from "./real-tfjs-node-gpu.ts";

// GPU 0 is the freest; CUDA's own order (fastest first) is B, A, so "CUDA_VISIBLE_DEVICES=1" is
// GPU B only with the PCI order tipi sets.
// scripts/gpu-check.mjs is meant for a machine with a GPU; here its resolution cases run against
// the real tfjs-node-gpu JavaScript with the fake addon (which also lists its process the way
// nvidia-smi --query-compute-apps would), so the script itself cannot rot. It runs the built
// @tipi/tfjs (dist), like a user's checkout after `pnpm build`.
const GPU_A = "GPU-aaaaaaaa-0000";
const GPU_B = "GPU-bbbbbbbb-1111";
const machine = useRealGpuMachine(
  "tipi-gpu-check-",
  [
    { uuid: GPU_A, freeMiB: 9000, totalMiB: 16000, name: "Fake A" },
    { uuid: GPU_B, freeMiB: 1000, totalMiB: 16000, name: "Fake B" },
  ],
  { apps: true },
);

function gpuCheck(cuda: boolean): Promise<{ code: number; stdout: string }> {
  const env: NodeJS.ProcessEnv = {
    ...withoutGpuEnv(),
    PATH: `${machine.work}${delimiter}${process.env.PATH}`,
    TIPI_RESOLVE_PATHS: machine.root,
    NODE_OPTIONS: `--require ${join(REPO_ROOT, "packages/tfjs/test/fixtures/tfjs-node-gpu/preload.cjs")}`,
    TIPI_FAKE_TF_ADDON: JSON.stringify({
      gpus: [GPU_A, GPU_B],
      fastestFirst: [1, 0],
      cuda,
      apps: join(machine.work, "apps"),
    }),
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["scripts/gpu-check.mjs", "--only", "gpu,user-cvd,hidden"],
      { cwd: REPO_ROOT, env, timeout: 120_000 },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

describe("scripts/gpu-check.mjs", () => {
  it("passes its resolution cases when TensorFlow confirms the GPU and the process runs on it", async () => {
    const { code, stdout } = await gpuCheck(true);
    expect(stdout).toMatch(
      new RegExp(
        `^PASS gpu: .*TensorFlow uses GPU 0 .*; nvidia-smi shows this pid on ${GPU_A}$`,
        "m",
      ),
    );
    expect(stdout).toContain(
      `PASS user-cvd {"CUDA_VISIBLE_DEVICES":"1"}: reported GPU 1 ${GPU_B}, used ${GPU_B}, expected ${GPU_B}`,
    );
    expect(stdout).toMatch(/^PASS hidden \{"CUDA_VISIBLE_DEVICES":""\}: wasm; .*hides every GPU/m);
    expect(code).toBe(0);
  });

  it("fails, and says why, when CUDA does not load", async () => {
    const { code, stdout } = await gpuCheck(false);
    expect(stdout).toMatch(
      /^FAIL gpu: .*tensorflow-gpu skipped: .*TensorFlow registered no GPU device/m,
    );
    expect(code).toBe(1);
  });
});
