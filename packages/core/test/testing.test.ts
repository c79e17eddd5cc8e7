import { describe, expect, it } from "vitest";
import { z } from "zod";
import { currentRun, Pipeline } from "../src/index.ts";
import { runPipeline, runSlice, runStep } from "../src/testing/index.ts";

class Gpu {
  readonly name: string = "cuda:0";
  constructor() {
    throw new Error("no GPU on this machine");
  }
  cleanup() {}
}

const cleaned: string[] = [];
const pipeline = Pipeline.create<{ values: number[] }>({ name: "stats" })
  .provide({ gpu: () => new Gpu() })
  .stage("normalise", (s, ctx) => {
    const max = Math.max(...s.values);
    ctx.emit({ type: "log", level: "info", message: `on ${ctx.get("gpu").name}` });
    return { values: s.values.map((v) => v / max) };
  })
  .through(z.object({ values: z.array(z.number().max(1)) }), {
    hooks: [
      {
        name: "non-empty",
        run: (s) => {
          if (s.values.length === 0) throw new Error("no values");
        },
      },
    ],
  })
  .stage("mean", (s) => ({ mean: s.values.reduce((a, b) => a + b, 0) / s.values.length }))
  .requireJoin("report", z.object({ mean: z.number(), text: z.string() }))
  .stage("done", (s) => s.text);

const fakeGpu = {
  name: "fake",
  cleanup: () => {
    cleaned.push("fake gpu");
  },
};

describe("@tipi/core/testing", () => {
  it("runs one step with a fake permanence, capturing its events (joins elsewhere may be open)", async () => {
    cleaned.length = 0;
    const run = await runStep(
      pipeline,
      "normalise",
      { values: [1, 2, 4] },
      {
        permanences: { gpu: fakeGpu },
      },
    );
    expect(run.result._unsafeUnwrap()).toEqual({ values: [0.25, 0.5, 1] });
    expect(run.eventsOf("log")).toEqual([{ type: "log", level: "info", message: "on fake" }]);
    expect(run.eventsOf("step:start").map((e) => e.step)).toEqual(["normalise"]);
    expect(cleaned).toEqual(["fake gpu"]);
  });

  it("without the fake, the real permanence fails as it would in production", async () => {
    const run = await runStep(pipeline, "mean", { values: [1] });
    expect(run.result._unsafeUnwrapErr()).toMatchObject({
      kind: "permanence-failed",
      permanence: "gpu",
      phase: "create",
    });
  });

  it("runs a slice of steps from/to by name", async () => {
    const run = await runSlice(
      pipeline,
      { from: "normalise", to: "mean" },
      { values: [2, 2] },
      { permanences: { gpu: fakeGpu } },
    );
    expect(run.result._unsafeUnwrap()).toEqual({ mean: 1 });
    expect(run.eventsOf("step:end").map((e) => e.step)).toEqual(["normalise", "through", "mean"]);
  });

  it("runs a whole pipeline with fakes, and currentRun() sees them", async () => {
    const full = pipeline.provideJoin("report", (s) => ({
      ...s,
      text: `mean ${s.mean} on ${(currentRun()?.get("gpu") as { name: string } | undefined)?.name}`,
    }));
    const run = await runPipeline(full, { values: [1, 1] }, { permanences: { gpu: fakeGpu } });
    expect(run.result._unsafeUnwrap()).toBe("mean 1 on fake");
    expect(run.events[0]).toMatchObject({ type: "run:start", pipeline: "stats" });
  });

  it("a name that is not a step is a clear error", () => {
    // @ts-expect-error not a step of this pipeline
    expect(() => runStep(pipeline, "nope", {})).toThrow(/has no step "nope"/);
  });
});

describe("currentRun()", () => {
  it("keeps concurrent runs apart", async () => {
    const p = Pipeline.create<string>().io("wait", async (id) => {
      await new Promise((r) => setTimeout(r, 5));
      return `${id}:${currentRun()?.runId}`;
    });
    const [a, b] = await Promise.all([
      p.run("a", { runId: "run-a" }),
      p.run("b", { runId: "run-b" }),
    ]);
    expect(a?._unsafeUnwrap()).toBe("a:run-a");
    expect(b?._unsafeUnwrap()).toBe("b:run-b");
  });
});
