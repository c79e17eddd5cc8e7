// Local sweep polish through the built CLI: --dry-run, W&B's deprecation warnings, the ranked table.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { tipi } from "./fixtures/cli/run-tipi.ts";

const PIPELINE = "tests/fixtures/agent/pipeline.toml";
const scratch = mkdtempSync(join(tmpdir(), "tipi-local-sweep-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
};

describe("tipi sweep", () => {
  test("--dry-run lists every trial, checks each against the pipeline and runs nothing", async () => {
    const sweepDir = join(scratch, "dry");
    const r = await tipi([
      "sweep",
      PIPELINE,
      "tests/fixtures/agent/grid.yaml",
      "--dry-run",
      "--sweep-dir",
      sweepDir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split("\n").filter((l) => l.startsWith("trial-"));
    expect(rows).toHaveLength(6);
    expect(rows.map((l) => l.split(/\s+/).slice(1, 3).join(" "))).toEqual([
      "16 0.1",
      "16 0.01",
      "16 0.001",
      "64 0.1",
      "64 0.01",
      "64 0.001",
    ]);
    expect(rows.every((l) => l.endsWith("ok"))).toBe(true);
    expect(r.stdout).toContain("dry run: nothing ran");
    expect(existsSync(sweepDir)).toBe(false);
  });

  test("--dry-run refuses a sweep with a trial the pipeline rejects (exit 2)", async () => {
    const bad = file(
      "bad.yaml",
      "method: grid\nparameters:\n  lr:\n    values: [0.1, 0.2]\n  train.epochs:\n    values: [1, two]\n",
    );
    const r = await tipi(["sweep", PIPELINE, bad, "--dry-run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:5:3: processes\.train\.epochs: .*got "two"/);
  });

  test("prints W&B's deprecation warning for log_uniform, as the wandb CLI does", async () => {
    const old = file(
      "old.yaml",
      "method: random\nrun_cap: 2\nparameters:\n  lr:\n    distribution: log_uniform\n    min: -9.2\n    max: -2.3\n",
    );
    const r = await tipi(["sweep", PIPELINE, old, "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "tipi: WARNING Malformed sweep config detected! This may cause your sweep to behave in unexpected ways.\n" +
        "tipi: WARNING To avoid this, please fix the sweep config schema violations below:\n" +
        "tipi: WARNING   Violation 1. lr uses log_uniform, where min/max specify base-e exponents. Use log_uniform_values to specify limit values.\n",
    );
    expect(r.stdout.split("\n").filter((l) => l.startsWith("trial-"))).toHaveLength(2);
  });

  test("the summary ranks the trials by the metric in its goal's direction", async () => {
    // accuracy (maximize) grows with the number of epochs: 3 epochs is best, 1 worst.
    const sweep = file(
      "rank.yaml",
      "method: grid\nmetric:\n  name: accuracy\n  goal: maximize\nparameters:\n  train.epochs:\n    values: [1, 3, 2]\n",
    );
    const r = await tipi([
      "sweep",
      "tests/fixtures/cli/basic/pipeline.toml",
      sweep,
      "--sweep-dir",
      join(scratch, "rank"),
      "--parallel",
      "2",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout
      .split("\n")
      .filter((l) => /^[-\d]\s+trial-/.test(l))
      .map((l) => l.split(/\s+/).slice(0, 4));
    expect(rows.map((c) => `${c[0]} ${c[1]} ${c[2]}`)).toEqual([
      "1 trial-0002 finished",
      "2 trial-0003 finished",
      "3 trial-0001 finished",
    ]);
    const metrics = rows.map((c) => Number(c[3]));
    expect(metrics[0]).toBeCloseTo(5 / 6, 5);
    expect(metrics.slice(1)).toEqual([0.75, 0.5]);
  });
});
