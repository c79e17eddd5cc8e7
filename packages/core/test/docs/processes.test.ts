// The code shown in docs/processes.md: each #region is one code block, checked by docs-sync.test.ts.
// biome-ignore-all assist/source/organizeImports: imports stay inside the #regions shown in the docs
import { expect, it } from "vitest";

// #region classes
import {
  buildPipeline,
  formatConfigIssues,
  type PermanenceDeps,
  PipelineProcess,
  type ProcessContext,
  pipelineProcess,
  Registry,
} from "@tipi/core";
import { z } from "zod";

class Dataset {
  static readonly params = z.object({
    size: z.number().int().positive(),
    seed: z.number().default(0),
  });
  readonly values: number[];
  constructor(params: z.output<typeof Dataset.params>, _deps: PermanenceDeps) {
    this.values = Array.from({ length: params.size }, (_, i) => (i * 7 + params.seed) % 10);
  }
  cleanup() {}
}

class MeanProcess extends PipelineProcess<{ scale: number }> {
  static override readonly params = z.object({ scale: z.number().default(1) });
  override execute(ctx: ProcessContext) {
    const { values } = ctx.get("data") as Dataset;
    return (values.reduce((a, b) => a + b, 0) / values.length) * this.params.scale;
  }
}

const report = pipelineProcess(
  { name: "Report", params: z.object({ prefix: z.string().default("mean") }) },
  (params, _ctx, state) => `${params.prefix}: ${state.mean}`,
);

const registry = new Registry()
  .registerPermanence("Dataset", Dataset)
  .registerProcess("MeanProcess", MeanProcess)
  .registerProcess(report); // registered as "Report"
// #endregion classes

it("build", async () => {
  // #region build
  // What parsing this pipeline.toml gives:
  //   [pipeline]
  //   name = "stats"
  //   [permanences.data]
  //   type = "Dataset"
  //   size = 4
  //   [processes.mean]
  //   type = "MeanProcess"
  //   params = { scale = 2 }
  //   [processes.report]
  //   type = "Report"
  const config = {
    pipeline: { name: "stats" },
    permanences: { data: { type: "Dataset", size: 4 } },
    processes: { mean: { type: "MeanProcess", params: { scale: 2 } }, report: { type: "Report" } },
  };
  const built = buildPipeline(config, registry);
  if (built.isOk()) {
    const state = await built.value.run({});
    console.log(state); // Ok({ mean: 6, report: "mean: 6" })
  }
  // #endregion build
  const state = await built._unsafeUnwrap().run({});
  expect(state._unsafeUnwrap()).toEqual({ mean: 6, report: "mean: 6" });
});

it("issues", () => {
  // #region issues
  const bad = {
    permanences: { data: { type: "Dataset", size: -1, seeds: 3 } },
    processes: { mean: { type: "MeanProces" } },
  };
  const issues = buildPipeline(bad, registry);
  if (issues.isErr()) console.error(formatConfigIssues(issues.error));
  // permanences.data.seeds: unknown key (did you mean "seed"?)
  // permanences.data.size: Too small: expected number to be >0
  // processes.mean.type: unknown process type "MeanProces" (did you mean "MeanProcess"?)
  // #endregion issues
  expect(formatConfigIssues(issues._unsafeUnwrapErr())).toBe(
    [
      'permanences.data.seeds: unknown key (did you mean "seed"?)',
      "permanences.data.size: Too small: expected number to be >0",
      'processes.mean.type: unknown process type "MeanProces" (did you mean "MeanProcess"?)',
    ].join("\n"),
  );
});

it("plain call", () => {
  // #region plain
  console.log(report({})); // "mean: undefined": outside a pipeline there is no state
  console.log(report({ prefix: "avg" })); // params are validated and defaulted by the schema
  // #endregion plain
  expect(report({ prefix: "avg" })).toBe("avg: undefined");
});
