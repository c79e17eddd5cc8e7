import { describe, expect, it } from "vitest";
import { parseNvidiaSmiGpus, pickGpu, queryGpus } from "../src/backend/nvidia-smi.ts";
import { createFixtureDir } from "./backend-fixtures.ts";

describe("parseNvidiaSmiGpus", () => {
  it("reads index, free and total MiB from csv,noheader,nounits output", () => {
    const output = "0, 1024, 81559\n1, 80511, 81559\r\n2, 40000, 81559\n";
    expect(parseNvidiaSmiGpus(output)).toEqual([
      { index: 0, freeMiB: 1024, totalMiB: 81559 },
      { index: 1, freeMiB: 80511, totalMiB: 81559 },
      { index: 2, freeMiB: 40000, totalMiB: 81559 },
    ]);
  });

  it("ignores warnings, [N/A] fields and blank lines", () => {
    const output =
      "WARNING: infoROM is corrupted at gpu 0000:01:00.0\n0, [N/A], [N/A]\n\n1, 500, 8192\n";
    expect(parseNvidiaSmiGpus(output)).toEqual([{ index: 1, freeMiB: 500, totalMiB: 8192 }]);
  });

  it("returns nothing for empty output", () => {
    expect(parseNvidiaSmiGpus("")).toEqual([]);
  });
});

describe("pickGpu", () => {
  it("picks the GPU with the most free memory, the lowest index on a tie", () => {
    const gpus = parseNvidiaSmiGpus("0, 100, 200\n1, 150, 200\n2, 150, 200\n");
    expect(pickGpu(gpus)?.index).toBe(1);
    expect(pickGpu([])).toBeUndefined();
  });
});

describe("queryGpus", () => {
  it("runs nvidia-smi with the query and parses its answer", async () => {
    const fixture = await createFixtureDir();
    try {
      const smi = await fixture.addScript(
        "nvidia-smi",
        'case "$*" in *--query-gpu=index,memory.free,memory.total*--format=csv,noheader,nounits*) printf "0, 10, 100\\n1, 90, 100\\n";; *) exit 2;; esac',
      );
      const result = await queryGpus({ command: smi });
      expect(result).toEqual({
        ok: true,
        gpus: [
          { index: 0, freeMiB: 10, totalMiB: 100 },
          { index: 1, freeMiB: 90, totalMiB: 100 },
        ],
      });
    } finally {
      await fixture.dispose();
    }
  });

  it("reports a missing binary and a failing driver without throwing", async () => {
    const fixture = await createFixtureDir();
    try {
      const missing = await queryGpus({ command: `${fixture.root}/no-such-nvidia-smi` });
      expect(missing).toEqual({ ok: false, reason: expect.stringContaining("not found") });
      const failing = await fixture.addScript(
        "nvidia-smi",
        'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." >&2; exit 9',
      );
      const failed = await queryGpus({ command: failing });
      expect(failed).toEqual({
        ok: false,
        reason: expect.stringContaining("couldn't communicate"),
      });
      const empty = await fixture.addScript("nvidia-smi-empty", "exit 0");
      expect(await queryGpus({ command: empty })).toEqual({
        ok: false,
        reason: expect.stringContaining("listed no GPU"),
      });
    } finally {
      await fixture.dispose();
    }
  });
});
