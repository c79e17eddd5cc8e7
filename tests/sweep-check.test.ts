// The check `tipi sweep` runs before its first trial, on the shipped example and on mistakes.
import { resolve } from "node:path";
import { loadSweepConfig, parameterSamples, parseSweepConfigText } from "@tipi/wandb";
import { describe, expect, test } from "vitest";
import { ConfigProblems } from "../packages/cli/src/config/problems.ts";
import { resolveTarget } from "../packages/cli/src/config/resolve-target.ts";
import { checkSweep } from "../packages/cli/src/config/sweep-check.ts";

describe("checkSweep", () => {
  test("the example's sweep (the docs/sweeps.md quick start) passes: every parameter is real", async () => {
    const file = resolve("examples/fashion-mnist/sweep.yaml");
    const config = await loadSweepConfig(file);
    await expect(
      checkSweep(resolveTarget("examples/fashion-mnist"), config, file, undefined),
    ).resolves.toBeUndefined();
  });

  test("the keys of the old quick start fail, each with a did-you-mean", async () => {
    const config = parseSweepConfigText(
      [
        "method: grid",
        "parameters:",
        "  batch_size:",
        "    values: [32, 64]",
        "  optimizer.lr:",
        "    value: 0.01",
        "  training.epochs:",
        "    value: 1",
      ].join("\n"),
      "old.yaml",
    );
    const error = await checkSweep(
      resolveTarget("examples/fashion-mnist"),
      config,
      "old.yaml",
      undefined,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigProblems);
    const problems = (error as ConfigProblems).problems;
    const text = problems.map((p) => `${p.position?.line}: ${p.message} ${p.hint ?? ""}`);
    expect(text).toEqual([
      expect.stringMatching(/^3: parameter batch_size: unknown key .*did you mean "batchSize"\?/),
      expect.stringMatching(/^5: parameter optimizer\.lr: unknown key "optimizer\.lr"/),
      expect.stringMatching(/^7: parameter training\.epochs: unknown key .*did you mean "train"\?/),
    ]);
  });

  test("samples cover the first trial and every categorical value", () => {
    const config = parseSweepConfigText(
      "method: random\nrun_cap: 3\nparameters:\n  a:\n    values: [1, 'x']\n  b:\n    min: 0.0\n    max: 1.0\n",
      "s.yaml",
    );
    const samples = parameterSamples(config);
    expect(samples.map((s) => s.a).sort()).toEqual([1, "x"]);
    expect(samples.every((s) => typeof s.b === "number")).toBe(true);
  });
});
