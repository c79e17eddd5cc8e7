import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSweepConfig, runSweep } from "../src/index.ts";
import { standInTrialRecording } from "./fixtures/sweep/stand-in-trial.ts";
import { useTempDirs } from "./temp-dirs.ts";

const tempDir = useTempDirs("tipi-sweep-cores-");
// Each trial writes the TIPI_CORES it was started with, then runs the stand-in trial.
const trialCommand = standInTrialRecording("TIPI_CORES", "cores.txt");

async function coresSeen(parallel: number): Promise<string[]> {
  const sweepDir = tempDir();
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
