import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TipiEvent } from "@tipi/core";
import { describe, expect, it } from "vitest";
import { parseSweepConfig, readSweepState, runSweep } from "../src/index.ts";
import { STAND_IN_TRIAL, standInTrial } from "./fixtures/sweep/stand-in-trial.ts";
import { useTempDirs } from "./temp-dirs.ts";

const FIXTURES = join(import.meta.dirname, "fixtures/sweep");
const tempDir = useTempDirs("tipi-sweep-");

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;
const timing = (sweepDir: string, id: string) =>
  readJson<{ start: number; end: number }>(join(sweepDir, "trials", id, "timing.json"));
const starts = (sweepDir: string, id: string) =>
  readFileSync(join(sweepDir, "trials", id, "starts.log"), "utf8")
    .trim()
    .split("\n").length;

describe("runSweep (local controller)", () => {
  it("runs a grid to exhaustion, one run directory per trial, and reports the best config", async () => {
    const sweepDir = tempDir();
    const events: TipiEvent[] = [];
    const outcome = await runSweep({
      pipeline: "fake",
      config: parseSweepConfig({
        method: "grid",
        metric: { name: "loss", goal: "minimize" },
        parameters: { quality: { values: [3, 1, 2] }, steps: { value: 3 } },
      }),
      sweepDir,
      trialCommand: standInTrial,
      pollMs: 20,
      onEvent: (e) => events.push(e),
    });
    expect(outcome.state.status).toBe("finished");
    expect(outcome.state.trials.map((t) => [t.params.quality, t.status])).toEqual([
      [3, "finished"],
      [1, "finished"],
      [2, "finished"],
    ]);
    expect(outcome.best?.params).toEqual({ quality: 1, steps: 3 });
    expect(outcome.best?.metric).toBeCloseTo(1 + 1 / 3, 12);
    expect(outcome.table).toMatch(/trial-0002\s+finished\s+1\.33333\s+1/);
    expect(outcome.table).toContain("best: trial-0002 loss=1.33333 (minimize)");
    // sweep.json on disk says the same.
    expect(readSweepState(sweepDir)?.trials.map((t) => t.status)).toEqual([
      "finished",
      "finished",
      "finished",
    ]);
    const progress = events.filter(
      (e): e is Extract<TipiEvent, { type: "progress" }> => e.type === "progress",
    );
    expect(progress.at(-1)).toMatchObject({
      id: "sweep",
      label: "Sweep",
      current: 3,
      total: 3,
      done: true,
    });
    expect(progress.map((p) => p.current)).toEqual(
      [...progress.map((p) => p.current)].sort((a, b) => a - b),
    );
  });

  it("runs `parallel` trials at the same time, and never more", async () => {
    const sweepDir = tempDir();
    await runSweep({
      pipeline: "fake",
      config: parseSweepConfig({
        method: "grid",
        parameters: {
          quality: { values: [1, 2, 3, 4] },
          steps: { value: 4 },
          step_ms: { value: 150 },
        },
      }),
      sweepDir,
      parallel: 2,
      trialCommand: standInTrial,
      pollMs: 20,
    });
    const spans = ["trial-0001", "trial-0002", "trial-0003", "trial-0004"].map((id) =>
      timing(sweepDir, id),
    );
    const [a, b] = spans as [{ start: number; end: number }, { start: number; end: number }];
    expect(a.start < b.end && b.start < a.end).toBe(true);
    const maxOverlap = Math.max(
      ...spans.map((s) => spans.filter((o) => o.start <= s.start && s.start < o.end).length),
    );
    expect(maxOverlap).toBe(2);
  });

  it("marks a crashed trial failed, with its exit code and stderr, and goes on", async () => {
    const sweepDir = tempDir();
    const outcome = await runSweep({
      pipeline: "fake",
      config: parseSweepConfig({
        method: "grid",
        metric: { name: "loss", goal: "minimize" },
        parameters: { crash: { values: [false, true] }, quality: { values: [1, 2] } },
      }),
      sweepDir,
      trialCommand: standInTrial,
      pollMs: 20,
      parallel: 2,
    });
    expect(outcome.state.trials).toHaveLength(4);
    const failed = outcome.state.trials.filter((t) => t.status === "failed");
    expect(failed.map((t) => t.params.crash)).toEqual([true, true]);
    expect(failed[0]?.reason).toMatch(/exit code 1: trial: simulated crash/);
    expect(failed[0]?.iterations).toBe(2);
    expect(outcome.state.trials.filter((t) => t.status === "finished")).toHaveLength(2);
    expect(outcome.best?.params.crash).toBe(false);
    expect(readFileSync(join(sweepDir, "trials", `${failed[0]?.id}.log`), "utf8")).toContain(
      "simulated crash",
    );
  });

  it("marks a trial whose command cannot start as failed", async () => {
    const sweepDir = tempDir();
    const outcome = await runSweep({
      pipeline: "fake",
      config: parseSweepConfig({ method: "grid", parameters: { a: { values: [1] } } }),
      sweepDir,
      trialCommand: () => ({ command: join(sweepDir, "no-such-binary"), args: [] }),
    });
    expect(outcome.state.trials[0]?.status).toBe("failed");
    expect(outcome.state.trials[0]?.reason).toMatch(/ENOENT/);
  });

  it("stops trials with hyperband while they run", async () => {
    const sweepDir = tempDir();
    const outcome = await runSweep({
      pipeline: "fake",
      config: parseSweepConfig({
        method: "grid",
        metric: { name: "loss", goal: "minimize" },
        early_terminate: { type: "hyperband", min_iter: 2, eta: 2 },
        parameters: {
          quality: { values: [1, 2, 5] },
          steps: { value: 12 },
          step_ms: { value: 60 },
        },
      }),
      sweepDir,
      trialCommand: standInTrial,
      pollMs: 15,
    });
    const [best, middle, worst] = outcome.state.trials;
    expect(best?.status).toBe("finished");
    expect(middle?.status).toBe("finished");
    expect(worst?.status).toBe("stopped");
    expect(worst?.reason).toMatch(/hyperband/);
    expect(worst?.iterations).toBeLessThan(12);
    expect(existsSync(join(sweepDir, "trials", worst?.id ?? "", "summary.json"))).toBe(false);
  });

  it("stops at run_cap for random search, with reproducible suggestions", async () => {
    const config = parseSweepConfig({
      method: "random",
      run_cap: 3,
      metric: { name: "loss", goal: "minimize" },
      parameters: { quality: { min: 0.0, max: 1.0 }, steps: { value: 1 } },
    });
    const run = async () =>
      (
        await runSweep({
          pipeline: "fake",
          config,
          sweepDir: tempDir(),
          trialCommand: standInTrial,
          seed: 11,
          pollMs: 20,
        })
      ).state.trials;
    const first = await run();
    expect(first).toHaveLength(3);
    expect((await run()).map((t) => t.params)).toEqual(first.map((t) => t.params));
  });

  it("refuses a random sweep without run_cap or count, and a sweep directory of another sweep", async () => {
    const sweepDir = tempDir();
    const unbounded = parseSweepConfig({
      method: "random",
      parameters: { a: { min: 0.0, max: 1.0 } },
    });
    await expect(
      runSweep({ pipeline: "fake", config: unbounded, sweepDir, trialCommand: standInTrial }),
    ).rejects.toThrow(/run_cap/);
    const grid = parseSweepConfig({ method: "grid", parameters: { steps: { values: [1] } } });
    await runSweep({ pipeline: "fake", config: grid, sweepDir, trialCommand: standInTrial });
    const other = parseSweepConfig({ method: "grid", parameters: { steps: { values: [2] } } });
    await expect(
      runSweep({ pipeline: "fake", config: other, sweepDir, trialCommand: standInTrial }),
    ).rejects.toThrow(/different sweep/);
  });

  it("refuses a sweep directory another live controller holds, and takes over a dead one's lock", async () => {
    const sweepDir = tempDir();
    const config = parseSweepConfig({ method: "grid", parameters: { steps: { values: [1] } } });
    writeFileSync(join(sweepDir, "sweep.lock"), String(process.ppid));
    await expect(
      runSweep({ pipeline: "fake", config, sweepDir, trialCommand: standInTrial }),
    ).rejects.toThrow(/in use by another sweep controller/);
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => dead.once("exit", r));
    writeFileSync(join(sweepDir, "sweep.lock"), String(dead.pid));
    const outcome = await runSweep({
      pipeline: "fake",
      config,
      sweepDir,
      trialCommand: standInTrial,
    });
    expect(outcome.state.status).toBe("finished");
    expect(existsSync(join(sweepDir, "sweep.lock"))).toBe(false);
  });

  it("resumes after SIGKILL without re-running finished trials", async () => {
    const sweepDir = tempDir();
    const sweepFile = join(tempDir(), "sweep.yaml");
    writeFileSync(
      sweepFile,
      [
        "method: grid",
        "metric: {name: loss, goal: minimize}",
        "parameters:",
        "  quality: {values: [4, 3, 2, 1]}",
        "  steps: {value: 6}",
        "  step_ms: {value: 60}",
      ].join("\n"),
    );
    const controller = spawn(
      process.execPath,
      ["--import", "tsx", join(FIXTURES, "run-sweep.ts"), sweepDir, sweepFile, STAND_IN_TRIAL],
      { detached: true, stdio: "ignore" },
    );
    // Wait until two trials finished and the third has logged at least one step, then kill
    // the controller and its running trial together, mid-trial.
    const midThirdTrial = () => {
      const state = readSweepState(sweepDir);
      const running = state?.trials.find((t) => t.status === "running");
      const finished = state?.trials.filter((t) => t.status === "finished").length ?? 0;
      return (
        finished >= 2 &&
        running !== undefined &&
        existsSync(join(sweepDir, "trials", running.id, "history.jsonl"))
      );
    };
    const deadline = Date.now() + 30_000;
    while (!midThirdTrial() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    process.kill(-(controller.pid as number), "SIGKILL");
    await new Promise((r) => controller.once("exit", r));

    const killed = readSweepState(sweepDir);
    const done = killed?.trials.filter((t) => t.status === "finished").map((t) => t.id) ?? [];
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(killed?.trials.map((t) => t.status)).toContain("running");

    const outcome = await runSweep({
      pipeline: "fake",
      config: sweepFile,
      sweepDir,
      trialCommand: standInTrial,
      seed: 5,
      pollMs: 20,
    });
    expect(outcome.state.status).toBe("finished");
    expect(outcome.state.trials.map((t) => t.params.quality)).toEqual([4, 3, 2, 1]);
    expect(outcome.state.trials.every((t) => t.status === "finished")).toBe(true);
    for (const id of done) {
      expect(starts(sweepDir, id)).toBe(1);
      expect(outcome.state.trials.find((t) => t.id === id)?.attempts).toBe(1);
    }
    // The interrupted trial ran again from a clean directory; its first attempt is kept aside.
    const rerun = outcome.state.trials.find((t) => t.attempts === 2);
    expect(rerun).toBeDefined();
    expect(starts(sweepDir, rerun?.id ?? "")).toBe(1);
    expect(starts(sweepDir, `${rerun?.id}.attempt-1`)).toBe(1);
    const rows = readFileSync(join(sweepDir, "trials", rerun?.id ?? "", "history.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(rows).toHaveLength(6);
    expect(rerun?.iterations).toBe(6);
    expect(outcome.best?.params.quality).toBe(1);
  });

  it("on abort, stops running trials and leaves them to run again on resume", async () => {
    const sweepDir = tempDir();
    const config = parseSweepConfig({
      method: "grid",
      parameters: { quality: { values: [1, 2] }, steps: { value: 40 }, step_ms: { value: 50 } },
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 400);
    const outcome = await runSweep({
      pipeline: "fake",
      config,
      sweepDir,
      trialCommand: standInTrial,
      signal: controller.signal,
      pollMs: 20,
    });
    expect(outcome.state.status).toBe("interrupted");
    expect(outcome.state.trials.map((t) => t.status)).toEqual(["pending"]);
    expect(readSweepState(sweepDir)?.status).toBe("interrupted");
  });
});
