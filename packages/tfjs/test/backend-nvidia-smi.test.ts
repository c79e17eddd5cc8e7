import { describe, expect, it } from "vitest";
import {
  parseNvidiaSmiApps,
  parseNvidiaSmiGpus,
  pickGpu,
  queryGpuProcesses,
  queryGpus,
} from "../src/backend/nvidia-smi.ts";
import { createFixtureDir } from "./backend-fixtures.ts";

const A = "GPU-5d1b2f0e-aaaa-0000-0000-000000000000";
const B = "GPU-77c3a1d2-bbbb-1111-1111-111111111111";

describe("parseNvidiaSmiGpus", () => {
  it("reads index, UUID, free and total MiB and the name from csv,noheader,nounits output", () => {
    const output = `0, ${A}, 1024, 81559, NVIDIA H100 80GB HBM3\n1, ${B}, 80511, 81559, NVIDIA H100 80GB HBM3\r\n`;
    expect(parseNvidiaSmiGpus(output)).toEqual([
      { index: 0, uuid: A, freeMiB: 1024, totalMiB: 81559, name: "NVIDIA H100 80GB HBM3" },
      { index: 1, uuid: B, freeMiB: 80511, totalMiB: 81559, name: "NVIDIA H100 80GB HBM3" },
    ]);
  });

  it("ignores warnings, [N/A] fields and blank lines, and keeps a name with a comma whole", () => {
    const output = `WARNING: infoROM is corrupted at gpu 0000:01:00.0\n0, ${A}, [N/A], [N/A], X\n\n1, ${B}, 500, 8192, Odd, Name\n`;
    expect(parseNvidiaSmiGpus(output)).toEqual([
      { index: 1, uuid: B, freeMiB: 500, totalMiB: 8192, name: "Odd, Name" },
    ]);
  });

  it("returns nothing for empty output or the old three-column format", () => {
    expect(parseNvidiaSmiGpus("")).toEqual([]);
    expect(parseNvidiaSmiGpus("0, 1024, 81559\n")).toEqual([]);
  });
});

describe("parseNvidiaSmiApps", () => {
  it("reads pid, GPU UUID and used MiB per compute process", () => {
    expect(parseNvidiaSmiApps(`4242, ${A}, 512\n[N/A], ${B}, 3\n`)).toEqual([
      { pid: 4242, gpuUuid: A, usedMiB: 512 },
    ]);
  });
});

describe("pickGpu", () => {
  it("picks the GPU with the most free memory, the lowest index on a tie", () => {
    const gpus = parseNvidiaSmiGpus(
      `0, ${A}, 100, 200, X\n1, ${B}, 150, 200, X\n2, GPU-c, 150, 200, X\n`,
    );
    expect(pickGpu(gpus)?.index).toBe(1);
    expect(pickGpu([])).toBeUndefined();
  });
});

describe("queryGpus", () => {
  it("runs nvidia-smi with the queries and parses its answers", async () => {
    const fixture = await createFixtureDir();
    try {
      const smi = await fixture.addScript(
        "nvidia-smi",
        `case "$*" in
  *--query-gpu=index,uuid,memory.free,memory.total,name*--format=csv,noheader,nounits*) printf "0, ${A}, 10, 100, Small\\n1, ${B}, 90, 100, Big\\n";;
  *--query-compute-apps=pid,gpu_uuid,used_memory*--format=csv,noheader,nounits*) printf "77, ${B}, 12\\n";;
  *) exit 2;;
esac`,
      );
      expect((await queryGpus({ command: smi }))._unsafeUnwrap()).toEqual([
        { index: 0, uuid: A, freeMiB: 10, totalMiB: 100, name: "Small" },
        { index: 1, uuid: B, freeMiB: 90, totalMiB: 100, name: "Big" },
      ]);
      expect(await queryGpuProcesses({ command: smi })).toEqual([
        { pid: 77, gpuUuid: B, usedMiB: 12 },
      ]);
    } finally {
      await fixture.dispose();
    }
  });

  it("reports a missing binary and a failing driver without throwing", async () => {
    const fixture = await createFixtureDir();
    try {
      const missing = await queryGpus({ command: `${fixture.root}/no-such-nvidia-smi` });
      expect(missing._unsafeUnwrapErr()).toContain("not found");
      expect(await queryGpuProcesses({ command: `${fixture.root}/no-such` })).toBeUndefined();
      const failing = await fixture.addScript(
        "nvidia-smi",
        'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." >&2; exit 9',
      );
      const failed = await queryGpus({ command: failing });
      expect(failed._unsafeUnwrapErr()).toContain("couldn't communicate");
      const empty = await fixture.addScript("nvidia-smi-empty", "exit 0");
      expect((await queryGpus({ command: empty }))._unsafeUnwrapErr()).toContain("listed no GPU");
    } finally {
      await fixture.dispose();
    }
  });
});
