// The code shown in docs/testing.md: each #region is one code block, checked by docs-sync.test.ts.
// #region stage
import { Pipeline } from "@tipi/core";
import { runPipeline, runSlice, runStep } from "@tipi/core/testing";
import { describe, expect, expectTypeOf, it } from "vitest";

class Device {
  readonly name: string;
  constructor() {
    throw new Error("needs a GPU"); // the real thing is not available in unit tests
  }
  cleanup() {}
}

const pipeline = Pipeline.create<{ pixels: number[] }>()
  .provide({ device: () => new Device() })
  .stage("normalise", (s, ctx) => {
    ctx.emit({ type: "log", level: "debug", message: `on ${ctx.get("device").name}` });
    const max = Math.max(...s.pixels);
    return { pixels: s.pixels.map((p) => p / max) };
  })
  .stage("mean", (s) => ({ mean: s.pixels.reduce((a, b) => a + b, 0) / s.pixels.length }))
  .requireJoin("train")
  .stage("format", (s) => s.mean.toFixed(3));

const fakeDevice = { name: "fake-cpu", cleanup() {} };

describe("normalise", () => {
  it("scales to [0, 1] on any device", async () => {
    const { result, eventsOf } = await runStep(
      pipeline,
      "normalise",
      { pixels: [0, 5, 10] },
      { permanences: { device: fakeDevice } },
    );
    expect(result._unsafeUnwrap()).toEqual({ pixels: [0, 0.5, 1] });
    expect(eventsOf("log")[0]?.message).toBe("on fake-cpu");
  });
});
// #endregion stage

describe("more", () => {
  it("slice and whole", async () => {
    // #region slice
    const slice = await runSlice(
      pipeline,
      { from: "normalise", to: "mean" },
      { pixels: [2, 4] },
      { permanences: { device: fakeDevice } },
    );
    expect(slice.result._unsafeUnwrap()).toEqual({ mean: 0.75 });

    const whole = await runPipeline(
      pipeline.provideJoin("train", (s) => s), // fill the join for this test
      { pixels: [1, 1] },
      { permanences: { device: fakeDevice } },
    );
    expect(whole.result._unsafeUnwrap()).toBe("1.000");
    expect(whole.eventsOf("step:end").map((e) => e.step)).toEqual([
      "normalise",
      "mean",
      "train",
      "format",
    ]);
    // #endregion slice
  });

  it("types", () => {
    // #region types
    expectTypeOf(pipeline.describe).returns.toHaveProperty("steps");
    const filled = pipeline.provideJoin("train", (s) => ({ mean: s.mean * 2 }));
    expectTypeOf(filled.run).parameter(0).toEqualTypeOf<{ pixels: number[] }>();
    // @ts-expect-error join "train" needs provideJoin() before run()
    pipeline.run({ pixels: [] });
    // #endregion types
  });
});
