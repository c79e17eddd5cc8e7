import { execFile } from "node:child_process";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { GPU_A, GPU_B, TWO_GPUS, withoutGpuEnv } from "./backend-fixtures.ts";
import { REPO_ROOT, useRealGpuMachine } from "./real-tfjs-node-gpu.ts";

// One process per GPU through the real @tensorflow/tfjs-node-gpu 4.22.0 JavaScript with the fake
// addon (test/fixtures/tfjs-node-gpu): the training process resolves tensorflow-gpu as Device
// does, startReplicas forks a replica process per other GPU, and each loads tfjs-node-gpu with
// its own CUDA_VISIBLE_DEVICES. The fake addon writes `<pid>, <the GPU it uses>` per process,
// so the test sees which GPU libtensorflow would have placed each process on.
const FIXTURES = join(REPO_ROOT, "packages/tfjs/test/fixtures");
// GPU A: PCI 0, nvidia-smi's GPU 0; GPU B: PCI 1, the freest.

interface ParentResult {
  readonly choice?: { name: string; reason: string; tfEnv: Record<string, string> };
  readonly plan?: { devices: string[] };
  readonly processes?: {
    pid: number;
    device: string;
    ready: { pid: number; backend: string; cudaVisibleDevices: string };
  }[];
  readonly count?: number;
  readonly events: { level: string; message: string }[];
  readonly processEnv: { CUDA_VISIBLE_DEVICES?: string };
  readonly error?: string;
}

const machine = useRealGpuMachine("tipi-gpu-replicas-", TWO_GPUS);
let counter = 0;

/** Runs the training process; `addonGpus`: the GPUs the fake libtensorflow can open. */
async function runParent(
  workers: "auto" | number,
  setup: { processEnv?: Record<string, string>; addonGpus?: string[] } = {},
): Promise<{ result: ParentResult; placed: Map<number, string> }> {
  const apps = join(machine.work, `apps-${counter++}`);
  await mkdir(apps);
  const env = withoutGpuEnv();
  delete env.TIPI_BACKEND;
  Object.assign(env, setup.processEnv);
  // The fake numbers GPUs as given; an absent one is a GPU CUDA cannot open.
  env.TIPI_FAKE_TF_ADDON = JSON.stringify({ gpus: setup.addonGpus ?? [GPU_A, GPU_B], apps });
  const input = { resolvePaths: [machine.root], nvidiaSmi: machine.nvidiaSmi, workers };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "--require",
      join(FIXTURES, "tfjs-node-gpu/preload.cjs"),
      "--import",
      "tsx",
      join(FIXTURES, "replicas-process/gpu-parent.ts"),
      JSON.stringify(input),
    ],
    { cwd: REPO_ROOT, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`no RESULT line in:\n${stdout}`);
  const placed = new Map<number, string>();
  for (const file of await readdir(apps)) {
    const [pid, uuid] = (await readFile(join(apps, file), "utf8")).split(",").map((f) => f.trim());
    placed.set(Number(pid), uuid!);
  }
  return { result: JSON.parse(line.slice("RESULT ".length)) as ParentResult, placed };
}

describe("one replica process per GPU (real tfjs-node-gpu JavaScript, fake addon)", () => {
  it("auto: this process on the freest GPU, a replica process on the other, each seeing only its own", async () => {
    const { result, placed } = await runParent("auto");
    expect(result.error).toBeUndefined();
    expect(result.choice?.name).toBe("tensorflow-gpu");
    expect(result.plan?.devices).toEqual([GPU_B, GPU_A]);
    expect(result.count).toBe(2);
    expect(result.processEnv.CUDA_VISIBLE_DEVICES).toBe(GPU_B);
    const [replica] = result.processes ?? [];
    expect(replica?.ready).toMatchObject({ backend: "tensorflow-gpu", cudaVisibleDevices: GPU_A });
    // What libtensorflow opened in each process: this one GPU B, the replica GPU A.
    expect([...placed.values()].sort()).toEqual([GPU_A, GPU_B]);
    expect(placed.get(replica!.pid)).toBe(GPU_A);
    expect(result.events).toContainEqual(
      expect.objectContaining({
        level: "info",
        message: `training on 2 data-parallel replicas (this process on CUDA_VISIBLE_DEVICES=${GPU_B} + 1 process on ${GPU_A}, one GPU each)`,
      }),
    );
  });

  it("the user's CUDA_VISIBLE_DEVICES=0,1: this process keeps 0, the replica gets 1; workers = 3 is refused", async () => {
    const { result, placed } = await runParent(2, {
      processEnv: { CUDA_VISIBLE_DEVICES: "0,1" },
    });
    expect(result.error).toBeUndefined();
    expect(result.processEnv.CUDA_VISIBLE_DEVICES).toBe("0");
    expect(result.choice?.reason).toContain("this process keeps 0, replicas get the rest");
    expect(result.processes?.map((p) => p.ready.cudaVisibleDevices)).toEqual(["1"]);
    expect(placed.get(result.processes![0]!.pid)).toBe(GPU_B);
    expect([...placed.values()].sort()).toEqual([GPU_A, GPU_B]);

    const tooMany = await runParent(3, { processEnv: { CUDA_VISIBLE_DEVICES: "0,1" } });
    expect(tooMany.result.error).toBe(
      'Error: workers = 3, but this run sees 2 GPUs (one replica process a GPU): set workers to 2 or less, or "auto", or make more GPUs visible (CUDA_VISIBLE_DEVICES)',
    );
  });

  it("a GPU that fails to initialise: auto warns and trains on 1; workers = 2 fails naming the GPU", async () => {
    // nvidia-smi lists both, but CUDA can open GPU B only.
    const auto = await runParent("auto", { addonGpus: [GPU_B] });
    expect(auto.result.count).toBe(1);
    const warning = auto.result.events.find((e) => e.level === "warn");
    expect(warning?.message).toMatch(
      new RegExp(
        `^training on 1 replica: the replica processes did not start \\(replica 1 \\(process \\d+, CUDA_VISIBLE_DEVICES=${GPU_A}\\): backend "tensorflow-gpu" is unavailable: @tensorflow/tfjs-node-gpu loaded, but TensorFlow registered no GPU device`,
      ),
    );
    const two = await runParent(2, { addonGpus: [GPU_B] });
    expect(two.result.error).toMatch(
      new RegExp(
        `replica 1 \\(process \\d+, CUDA_VISIBLE_DEVICES=${GPU_A}\\): backend "tensorflow-gpu" is unavailable`,
      ),
    );
  });
});
