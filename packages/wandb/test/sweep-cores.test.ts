import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseSweepConfig, runSweep, type TrialCommandFactory } from "../src/index.ts";

const TRIAL = join(import.meta.dirname, "fixtures/sweep/trial.mjs");
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// Each trial writes the TIPI_CORES it was started with, then runs the stand-in trial.
const trialCommand: TrialCommandFactory = (t) => ({
  command: "/bin/sh",
  args: [
    "-c",
    `printf '%s' "\${TIPI_CORES-unset}" > "$1/cores.txt"; shift; exec "$@"`,
    "sh",
    t.runDir,
    process.execPath,
    TRIAL,
    ...t.setFlags,
    "--run-dir",
    t.runDir,
  ],
});

async function coresSeen(parallel: number): Promise<string[]> {
  const sweepDir = mkdtempSync(join(tmpdir(), "tipi-sweep-cores-"));
  dirs.push(sweepDir);
  const outcome = await runSweep({
    pipeline: "fake",
    config: parseSweepConfig({ method: "grid", parameters: { quality: { values: [1, 2] } } }),
    sweepDir,
    parallel,
    gpus: [],
    trialCommand,
    pollMs: 20,
  });
  return outcome.state.trials.map((t) =>
    readFileSync(join(sweepDir, "trials", t.id, "cores.txt"), "utf8"),
  );
}

describe("sweeps and training replicas", () => {
  it("gives parallel trials their share of the cores as TIPI_CORES, so replicas do not oversubscribe", async () => {
    const share = String(Math.max(1, Math.floor(availableParallelism() / 2)));
    expect(await coresSeen(2)).toEqual([share, share]);
    const inherited = process.env.TIPI_CORES ?? "unset";
    expect(await coresSeen(1)).toEqual([inherited, inherited]);
  });
});
