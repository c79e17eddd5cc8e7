import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TipiEvent } from "@tipi/core";
import { describe, expect, it } from "vitest";
import { parseSweepConfig, runSweep } from "../src/index.ts";
import { detectGpus, GpuSlots } from "../src/sweep/controller/gpu-slots.ts";
import { standInTrialRecording } from "./fixtures/sweep/stand-in-trial.ts";
import { useTempDirs } from "./temp-dirs.ts";

const A = "GPU-aaaaaaaa-0000";
const B = "GPU-bbbbbbbb-1111";
const tempDir = useTempDirs("tipi-sweep-gpus-");

/** A fake nvidia-smi listing two GPUs by UUID. */
function fakeNvidiaSmi(dir: string): string {
  const path = join(dir, "nvidia-smi");
  writeFileSync(
    path,
    `#!/bin/sh\ncase "$*" in *--query-gpu=uuid*) printf "${A}\\n${B}\\n";; *) exit 2;; esac\n`,
    { mode: 0o755 },
  );
  return path;
}

// Each trial writes the CUDA_VISIBLE_DEVICES it was started with, then runs the stand-in trial.
const trialCommand = standInTrialRecording("CUDA_VISIBLE_DEVICES", "gpu.txt");

describe("sweeps on GPUs", () => {
  it("gives parallel trials different GPUs (least busy first) and says so", async () => {
    const sweepDir = tempDir();
    const events: TipiEvent[] = [];
    const saved = process.env.CUDA_VISIBLE_DEVICES;
    delete process.env.CUDA_VISIBLE_DEVICES;
    try {
      const outcome = await runSweep({
        pipeline: "fake",
        config: parseSweepConfig({
          method: "grid",
          parameters: {
            quality: { values: [1, 2, 3, 4] },
            steps: { value: 4 },
            step_ms: { value: 60 },
          },
        }),
        sweepDir,
        parallel: 2,
        trialCommand,
        nvidiaSmi: fakeNvidiaSmi(sweepDir),
        pollMs: 20,
        onEvent: (e) => events.push(e),
      });
      expect(outcome.state.trials.every((t) => t.status === "finished")).toBe(true);
      const trials = outcome.state.trials.map((t) => {
        const dir = join(sweepDir, "trials", t.id);
        const timing = JSON.parse(readFileSync(join(dir, "timing.json"), "utf8")) as {
          start: number;
          end: number;
        };
        return { id: t.id, gpu: readFileSync(join(dir, "gpu.txt"), "utf8"), ...timing };
      });
      expect(trials.map((t) => t.gpu).slice(0, 2)).toEqual([A, B]);
      // sweep.json records each trial's GPU: the one it was started with.
      const saved = JSON.parse(readFileSync(join(sweepDir, "sweep.json"), "utf8")) as {
        trials: { id: string; gpu?: string }[];
      };
      expect(saved.trials.map((t) => t.gpu)).toEqual(trials.map((t) => t.gpu));
      for (const a of trials) {
        expect([A, B]).toContain(a.gpu);
        for (const b of trials) {
          const overlap = a.id < b.id && a.start < b.end && b.start < a.end;
          if (overlap) expect(a.gpu, `${a.id} and ${b.id} ran at once`).not.toBe(b.gpu);
        }
      }
      const logs = events.flatMap((e) => (e.type === "log" ? [e.message] : []));
      expect(logs).toContain(
        `GPUs for trials: ${A}, ${B} (each trial gets the least busy one as CUDA_VISIBLE_DEVICES)`,
      );
      expect(logs.find((m) => m.startsWith("trial-0001 started"))).toMatch(
        new RegExp(`^trial-0001 started on GPU ${A}: `),
      );
    } finally {
      if (saved !== undefined) process.env.CUDA_VISIBLE_DEVICES = saved;
    }
  });

  it("gpus: [] assigns nothing: trials inherit the controller's environment", async () => {
    const sweepDir = tempDir();
    const outcome = await runSweep({
      pipeline: "fake",
      config: parseSweepConfig({ method: "grid", parameters: { steps: { value: 1 } } }),
      sweepDir,
      gpus: [],
      trialCommand,
      pollMs: 20,
    });
    const id = outcome.state.trials[0]!.id;
    const seen = readFileSync(join(sweepDir, "trials", id, "gpu.txt"), "utf8");
    expect(seen).toBe(process.env.CUDA_VISIBLE_DEVICES ?? "unset");
    expect(outcome.state.trials[0]!.gpu).toBeUndefined();
  });
});

describe("detectGpus and GpuSlots", () => {
  it("reads the controller's CUDA_VISIBLE_DEVICES first (empty: none), else nvidia-smi", async () => {
    const dir = tempDir();
    expect(await detectGpus({ CUDA_VISIBLE_DEVICES: "2, 3" })).toEqual(["2", "3"]);
    expect(await detectGpus({ CUDA_VISIBLE_DEVICES: "" }, fakeNvidiaSmi(dir))).toEqual([]);
    expect(await detectGpus({}, fakeNvidiaSmi(dir))).toEqual([A, B]);
    expect(await detectGpus({}, join(dir, "absent"))).toEqual([]);
  });

  it("hands out the least busy GPU, round-robin when trials start together", () => {
    const slots = new GpuSlots(["0", "1", "2"]);
    expect(["t1", "t2", "t3", "t4"].map((id) => slots.acquire(id))).toEqual(["0", "1", "2", "0"]);
    slots.release("t2");
    expect(slots.acquire("t5")).toBe("1");
    expect(new GpuSlots([]).acquire("t")).toBeUndefined();
  });
});
