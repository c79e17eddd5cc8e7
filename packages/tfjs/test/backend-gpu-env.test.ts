import { describe, expect, it } from "vitest";
import { planGpu } from "../src/backend/gpu-env.ts";
import type { GpuInfo } from "../src/backend/nvidia-smi.ts";

const gpus: GpuInfo[] = [
  { index: 0, uuid: "GPU-aaaa", name: "A", freeMiB: 100, totalMiB: 1000 },
  { index: 1, uuid: "GPU-bbbb", name: "B", freeMiB: 900, totalMiB: 1000 },
];

describe("planGpu", () => {
  it("unset: the freest GPU by UUID, and memory growth on", () => {
    const plan = planGpu({}, gpus)._unsafeUnwrap();
    expect(plan).toMatchObject({
      env: { CUDA_VISIBLE_DEVICES: "GPU-bbbb", TF_FORCE_GPU_ALLOW_GROWTH: "true" },
      setByTipi: ["TF_FORCE_GPU_ALLOW_GROWTH", "CUDA_VISIBLE_DEVICES"],
      gpu: { index: 1 },
      devices: ["GPU-bbbb", "GPU-aaaa"],
    });
    expect(plan.where).toBe(
      "GPU 1 (B, 900 of 1000 MiB free, the most of 2; CUDA_VISIBLE_DEVICES=GPU-bbbb)",
    );
  });

  it("a user's index is nvidia-smi's (PCI order set unless the user chose an order)", () => {
    // A list: this process keeps the first GPU, the others are for replica processes.
    const plan = planGpu({ CUDA_VISIBLE_DEVICES: "0,1" }, gpus)._unsafeUnwrap();
    expect(plan).toMatchObject({
      env: { CUDA_VISIBLE_DEVICES: "0", CUDA_DEVICE_ORDER: "PCI_BUS_ID" },
      gpu: { index: 0 },
      devices: ["0", "1"],
    });
    expect(plan.where).toContain(
      "CUDA_VISIBLE_DEVICES=0,1 (set by the user), CUDA_DEVICE_ORDER=PCI_BUS_ID set by tipi so indices are nvidia-smi's; this process keeps 0, replicas get the rest",
    );
    const pci = planGpu(
      { CUDA_VISIBLE_DEVICES: "1", CUDA_DEVICE_ORDER: "PCI_BUS_ID" },
      gpus,
    )._unsafeUnwrap();
    expect(pci.setByTipi).toEqual(["TF_FORCE_GPU_ALLOW_GROWTH"]);
    expect(pci.gpu?.index).toBe(1);
    const fastest = planGpu(
      { CUDA_VISIBLE_DEVICES: "0", CUDA_DEVICE_ORDER: "FASTEST_FIRST" },
      gpus,
    )._unsafeUnwrap();
    expect(fastest.gpu).toBeUndefined();
    expect(fastest.where).toMatch(/which GPU that is is unknown/);
  });

  it("a user's UUID (or its prefix) and a MIG instance", () => {
    expect(planGpu({ CUDA_VISIBLE_DEVICES: "GPU-aa" }, gpus)._unsafeUnwrap()).toMatchObject({
      gpu: { index: 0 },
    });
    const mig = planGpu({ CUDA_VISIBLE_DEVICES: "MIG-1234" }, gpus)._unsafeUnwrap();
    expect(mig.gpu).toBeUndefined();
  });

  it("values that hide every GPU are refused, and kept as the user set them", () => {
    for (const value of ["", " ", "-1", "7", "GPU-zzzz", "x"]) {
      const env = { CUDA_VISIBLE_DEVICES: value };
      expect(planGpu(env, gpus).isErr()).toBe(true);
      expect(env.CUDA_VISIBLE_DEVICES).toBe(value);
    }
    expect(planGpu({ CUDA_VISIBLE_DEVICES: "" }, gpus)._unsafeUnwrapErr()).toBe(
      'CUDA_VISIBLE_DEVICES="" (set by the user) hides every GPU from CUDA: unset it, or name a GPU',
    );
  });

  it("keeps the user's TF_FORCE_GPU_ALLOW_GROWTH", () => {
    const plan = planGpu({ TF_FORCE_GPU_ALLOW_GROWTH: "false" }, gpus)._unsafeUnwrap();
    expect(plan.env.TF_FORCE_GPU_ALLOW_GROWTH).toBe("false");
    expect(plan.setByTipi).toEqual(["CUDA_VISIBLE_DEVICES"]);
  });

  it("the GPUs replicas may use: the user's entries up to the first CUDA stops at", () => {
    const devices = (value: string) =>
      planGpu({ CUDA_VISIBLE_DEVICES: value }, gpus)._unsafeUnwrap().devices;
    expect(devices("1")).toEqual(["1"]);
    expect(devices("1,0")).toEqual(["1", "0"]);
    expect(devices("0,7,1")).toEqual(["0"]);
    expect(devices("GPU-bb,GPU-aa")).toEqual(["GPU-bb", "GPU-aa"]);
    expect(devices("MIG-1,MIG-2")).toEqual(["MIG-1", "MIG-2"]);
    expect(devices("0,0")).toEqual(["0"]);
    const single = planGpu({ CUDA_VISIBLE_DEVICES: "0,7" }, gpus)._unsafeUnwrap();
    expect(single.env.CUDA_VISIBLE_DEVICES).toBe("0,7");
    expect(single.setByTipi).not.toContain("CUDA_VISIBLE_DEVICES");
    const fastest = planGpu(
      { CUDA_VISIBLE_DEVICES: "0,5", CUDA_DEVICE_ORDER: "FASTEST_FIRST" },
      gpus,
    )._unsafeUnwrap();
    expect(fastest.devices).toEqual(["0", "5"]);
    expect(fastest.env.CUDA_VISIBLE_DEVICES).toBe("0");
  });
});
