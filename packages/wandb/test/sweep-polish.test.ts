// Local sweep polish: the summary ranked by the metric, W&B's deprecation warnings, the dry-run plan.
import { describe, expect, it } from "vitest";
import {
  formatSweepTable,
  formatSweepWarnings,
  parseSweepConfig,
  planTrials,
  rankTrials,
  type SweepState,
  sweepDeprecations,
  type TrialRecord,
} from "../src/index.ts";

const trial = (index: number, status: TrialRecord["status"], metric?: number): TrialRecord => ({
  id: `trial-${String(index + 1).padStart(4, "0")}`,
  index,
  params: { lr: 0.1 / (index + 1) },
  status,
  iterations: 1,
  attempts: 1,
  ...(metric === undefined ? {} : { metric }),
});

const trials = [
  trial(0, "finished", 0.5),
  trial(1, "failed"),
  trial(2, "finished", 0.2),
  trial(3, "stopped", 0.9),
  trial(4, "finished", 0.3),
];

describe("the summary table", () => {
  it("ranks by the metric in the goal's direction; trials without one come last in order", () => {
    const min = rankTrials(trials, { name: "loss", goal: "minimize" }).map((t) => t.index);
    expect(min).toEqual([2, 4, 0, 3, 1]);
    const max = rankTrials(trials, { name: "acc", goal: "maximize" }).map((t) => t.index);
    expect(max).toEqual([3, 0, 4, 2, 1]);
  });

  it("prints the ranks and rows in that order", () => {
    const config = parseSweepConfig({
      method: "grid",
      metric: { name: "acc", goal: "maximize" },
      parameters: { lr: { values: [0.1, 0.05, 0.0333333, 0.025, 0.02] } },
    });
    const state: SweepState = {
      version: 1,
      pipeline: "p",
      seed: 0,
      method: "grid",
      metric: { name: "acc", goal: "maximize" },
      config: config.raw,
      status: "finished",
      createdAt: "",
      updatedAt: "",
      trials,
    };
    const rows = formatSweepTable(state, config).split("\n");
    expect(rows[0]).toMatch(/^#\s+trial\s+status\s+acc\s+lr$/);
    expect(rows.slice(2, 7).map((r) => r.split(/\s+/).slice(0, 3).join(" "))).toEqual([
      "1 trial-0004 stopped",
      "2 trial-0001 finished",
      "3 trial-0005 finished",
      "4 trial-0003 finished",
      "- trial-0002 failed",
    ]);
    expect(rows.join("\n")).toContain("best: trial-0004 acc=0.900000 (maximize)");
  });
});

describe("W&B's deprecation warnings", () => {
  it("names each parameter using log_uniform, inv_log_uniform or q_log_uniform, as W&B words it", () => {
    const config = parseSweepConfig({
      method: "random",
      run_cap: 2,
      parameters: {
        lr: { distribution: "log_uniform", min: -9.2, max: -2.3 },
        opt: {
          parameters: { beta: { distribution: "inv_log_uniform", min: 0.5, max: 3.0 } },
        },
        fine: { distribution: "log_uniform_values", min: 0.001, max: 0.1 },
      },
    });
    expect(sweepDeprecations(config)).toEqual([
      "lr uses log_uniform, where min/max specify base-e exponents. Use log_uniform_values to specify limit values.",
      "opt.beta uses inv_log_uniform, where min/max specify base-e exponents. Use inv_log_uniform_values to specify limit values.",
    ]);
    expect(formatSweepWarnings(sweepDeprecations(config), "wandb: WARNING ")).toEqual([
      "wandb: WARNING Malformed sweep config detected! This may cause your sweep to behave in unexpected ways.",
      "wandb: WARNING To avoid this, please fix the sweep config schema violations below:",
      "wandb: WARNING   Violation 1. lr uses log_uniform, where min/max specify base-e exponents. Use log_uniform_values to specify limit values.",
      "wandb: WARNING   Violation 2. opt.beta uses inv_log_uniform, where min/max specify base-e exponents. Use inv_log_uniform_values to specify limit values.",
    ]);
    expect(formatSweepWarnings([])).toEqual([]);
  });
});

describe("planTrials (tipi sweep --dry-run)", () => {
  const space = { a: { values: [1, 2, 3] }, b: { values: ["x", "y"] } };
  it("lists a grid in W&B's order, capped by run_cap", () => {
    const grid = planTrials(parseSweepConfig({ method: "grid", parameters: space }));
    expect(grid.total).toBe(6);
    expect(grid.trials).toEqual([
      { a: 1, b: "x" },
      { a: 1, b: "y" },
      { a: 2, b: "x" },
      { a: 2, b: "y" },
      { a: 3, b: "x" },
      { a: 3, b: "y" },
    ]);
    const capped = planTrials(parseSweepConfig({ method: "grid", run_cap: 2, parameters: space }));
    expect(capped.trials).toHaveLength(2);
  });

  it("lists random draws of the seed, and only the first random draws of a bayes sweep", () => {
    const random = parseSweepConfig({
      method: "random",
      parameters: { lr: { min: 0.0, max: 1.0 } },
    });
    const a = planTrials(random, { seed: 3, count: 5 });
    expect(a.trials).toHaveLength(5);
    expect(planTrials(random, { seed: 3, count: 5 }).trials).toEqual(a.trials);
    expect(planTrials(random, { seed: 4, count: 5 }).trials).not.toEqual(a.trials);
    const bayes = planTrials(
      parseSweepConfig({
        method: "bayes",
        run_cap: 10,
        metric: { name: "loss" },
        parameters: { lr: { min: 0.0, max: 1.0 } },
      }),
    );
    expect(bayes.trials).toHaveLength(4);
    expect(bayes.total).toBe(10);
    expect(bayes.note).toBe("the other 6 trial(s) are suggested from the results of these");
  });
});
