import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createSearch,
  paramsToSetFlags,
  parseSweepConfigText,
} from "../packages/wandb/src/index.ts";

const page = readFileSync(join(import.meta.dirname, "../docs/sweeps.md"), "utf8");
const yamlBlocks = [...page.matchAll(/```yaml[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");

// The quick start and the command-mode file also run for real: tests/docs-commands.test.ts.
describe("docs/sweeps.md", () => {
  it("has a quick-start sweep file that loads and gives the trial flags it shows", () => {
    const config = parseSweepConfigText(yamlBlocks[0] ?? "", "sweep.yaml");
    expect(config.method).toBe("bayes");
    expect(config.runCap).toBe(12);
    expect(config.earlyTerminate?.bands.slice(0, 3)).toEqual([1, 3, 9]);
    const params = createSearch(config, { seed: 1 }).next(0, []) ?? {};
    const flags = paramsToSetFlags(config.parameters, params);
    expect(flags.filter((f) => f !== "--set").map((f) => f.split("=")[0])).toEqual([
      "hyperparameters.batchSize",
      "hyperparameters.epochs",
      "hyperparameters.learningRate",
    ]);
    const lr = (params.hyperparameters as { learningRate: number }).learningRate;
    expect(lr).toBeGreaterThanOrEqual(1e-4);
    expect(lr).toBeLessThanOrEqual(1e-1);
  });

  it("has a command-mode sweep file that loads, with flat dotted names", () => {
    const config = parseSweepConfigText(yamlBlocks.at(-1) ?? "", "agent.yaml");
    expect(config.command).toEqual(["pnpm", "tipi", "run", `\${program}`, `\${args}`]);
    expect(config.parameters.map((p) => p.path)).toEqual([
      ["hyperparameters.batchSize"],
      ["hyperparameters.learningRate"],
    ]);
  });
});
