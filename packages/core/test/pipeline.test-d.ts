import { type } from "arktype";
import { ok, okAsync } from "neverthrow";
import * as v from "valibot";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  type inferInput,
  type inferPermanences,
  type inferState,
  Pipeline,
  type PipelineTypeError,
  type StepContext,
} from "../src/index.ts";
import { runSlice, runStep } from "../src/testing/index.ts";

describe("state inference", () => {
  it("infers the state through more than ten steps", () => {
    const p = Pipeline.create<{ path: string }>()
      .stage("s1", (s) => ({ ...s, size: 1 }))
      .stage("s2", async (s) => ({ ...s, loaded: true as const }))
      .stage("s3", (s) => ok({ ...s, n: s.size + 1 }))
      .stage("s4", (s) => okAsync({ ...s, label: `${s.path}:${s.n}` }))
      .io("s5", async (s) => s)
      .stage("s6", (s) => ({ label: s.label, n: s.n }))
      .stage("s7", (s) => [s.n, s.n] as const)
      .stage("s8", ([a, b]) => ({ sum: a + b }))
      .stage("s9", (s) => ({ ...s, tags: ["x"] }))
      .stage("s10", (s) => ({ ...s, first: s.tags[0] }))
      .stage("s11", (s) => ({ total: s.sum, first: s.first }));
    expectTypeOf<inferState<typeof p>>().toEqualTypeOf<{
      total: number;
      first: string | undefined;
    }>();
    expectTypeOf<inferInput<typeof p>>().toEqualTypeOf<{ path: string }>();
    expectTypeOf(p.run).returns.resolves.toExtend<{ isOk(): boolean }>();
  });

  it("narrows to a schema's output type with zod, valibot and arktype", () => {
    const base = Pipeline.create<unknown>();
    expectTypeOf<
      inferState<ReturnType<typeof base.through<z.ZodObject<{ lr: z.ZodCoercedNumber }>>>>
    >().toEqualTypeOf<{ lr: number }>();
    const zod = base.through(z.object({ lr: z.coerce.number(), tag: z.string().optional() }));
    expectTypeOf<inferState<typeof zod>>().toEqualTypeOf<{
      lr: number;
      tag?: string | undefined;
    }>();
    const valibot = base.through(v.object({ epochs: v.number() }));
    expectTypeOf<inferState<typeof valibot>>().toEqualTypeOf<{ epochs: number }>();
    const ark = base.through(type({ name: "string" }));
    expectTypeOf<inferState<typeof ark>>().toEqualTypeOf<{ name: string }>();
  });

  it("types permanences, including a factory that uses an earlier one", () => {
    const p = Pipeline.create()
      .provide({ device: () => ({ name: "cpu" as const, cleanup() {} }) })
      .provide({ model: async (deps) => ({ on: deps.get("device").name }) })
      .stage("use", (_s, ctx) => {
        expectTypeOf(ctx.get("device").name).toEqualTypeOf<"cpu">();
        expectTypeOf(ctx.get("model")).toEqualTypeOf<{ on: "cpu" }>();
        // @ts-expect-error no permanence named "unknown"
        ctx.get("unknown");
        return 1;
      });
    expectTypeOf<keyof inferPermanences<typeof p>>().toEqualTypeOf<"device" | "model">();
    Pipeline.create().provide({
      // @ts-expect-error "later" is not provided before this factory
      early: (deps) => deps.get("later"),
    });
  });

  it("passes a typed context to steps", () => {
    Pipeline.create<number>().stage("s", (n, ctx) => {
      expectTypeOf(n).toEqualTypeOf<number>();
      expectTypeOf(ctx).toEqualTypeOf<StepContext<Record<never, never>>>();
      expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
      return n;
    });
  });
});

describe("joins", () => {
  const Trained = z.object({ accuracy: z.number() });
  const base = Pipeline.create<{ epochs: number }>()
    .stage("prepare", (s) => ({ ...s, ready: true }))
    .requireJoin("train", Trained)
    .stage("report", (s) => `accuracy ${s.accuracy}`);

  it("run() on an unfilled join is a compile error that names the join", () => {
    // @ts-expect-error join "train" needs provideJoin() before run()
    base.run({ epochs: 1 });
    // @ts-expect-error join "train" needs provideJoin() before run()
    base.run();
    expectTypeOf<ThisParameterType<typeof base.run>>().toEqualTypeOf<
      PipelineTypeError<'join "train" needs provideJoin() before run()'>
    >();
    const filled = base.provideJoin("train", (s) => ({ accuracy: s.epochs / 10 }));
    expectTypeOf<Parameters<typeof filled.run>[0]>().toEqualTypeOf<{ epochs: number }>();
    filled.run({ epochs: 1 });
  });

  it("names every unfilled join", () => {
    const two = base.requireJoin("evaluate");
    expectTypeOf<ThisParameterType<typeof two.run>>().toEqualTypeOf<
      PipelineTypeError<
        | 'join "train" needs provideJoin() before run()'
        | 'join "evaluate" needs provideJoin() before run()'
      >
    >();
  });

  it("provideJoin checks the implementation's input and output", () => {
    base.provideJoin("train", (s) => {
      expectTypeOf(s).toEqualTypeOf<{ epochs: number; ready: boolean }>();
      return { accuracy: 1 };
    });
    base.provideJoin("train", async () => ({ accuracy: 1 }));
    // @ts-expect-error accuracy must be a number
    base.provideJoin("train", () => ({ accuracy: "high" }));
    // @ts-expect-error wrong input: the state has no `images`
    base.provideJoin("train", (s: { images: number[] }) => ({ accuracy: s.images.length }));
    // @ts-expect-error no join named "fit"
    base.provideJoin("fit", () => ({ accuracy: 1 }));
  });

  it("accepts a sub-pipeline of the right types, rejects others", () => {
    const good = Pipeline.create<{ epochs: number }>().stage("fit", (s) => ({
      accuracy: s.epochs,
    }));
    const p = base.provideJoin("train", good);
    expectTypeOf<inferState<typeof p>>().toEqualTypeOf<string>();
    const badOutput = Pipeline.create<{ epochs: number }>().stage("fit", () => ({ acc: 1 }));
    // @ts-expect-error the sub-pipeline's final state does not fit join "train"
    base.provideJoin("train", badOutput);
    const badInput = Pipeline.create<{ images: string }>().stage("fit", () => ({ accuracy: 1 }));
    // @ts-expect-error the sub-pipeline's input does not accept the state at join "train"
    base.provideJoin("train", badInput);
    const open = Pipeline.create<{ epochs: number }>().requireJoin("inner", Trained);
    // @ts-expect-error the sub-pipeline has an unfilled join "inner"
    base.provideJoin("train", open);
  });

  it("a join without a schema keeps the state type", () => {
    const p = Pipeline.create<{ n: number }>().requireJoin("tweak");
    p.provideJoin("tweak", (s) => ({ n: s.n + 1 }));
    // @ts-expect-error must return { n: number }
    p.provideJoin("tweak", () => ({ m: 1 }));
  });
});

describe("override", () => {
  it("type-checks the replacement against the step's types", () => {
    const p = Pipeline.create<number>()
      .stage("toText", (n) => `${n}`)
      .stage("len", (s) => s.length);
    p.override("toText", (n) => `#${n}`);
    p.override("toText", async () => "async");
    // @ts-expect-error must return a string
    p.override("toText", (n) => n);
    // @ts-expect-error no step named "missing"
    p.override("missing", (n) => n);
  });
});

describe("testing helpers", () => {
  it("type the state in and out of a step or a slice", () => {
    const p = Pipeline.create<number>()
      .provide({ scale: () => ({ factor: 2 }) })
      .stage("toText", (n) => `${n}`)
      .stage("len", (s) => s.length);
    expectTypeOf(runStep(p, "len", "abc")).resolves.toHaveProperty("result");
    const step = runStep(p, "len", "abc");
    expectTypeOf<Awaited<typeof step>["result"]>().toExtend<{ isOk(): boolean }>();
    // @ts-expect-error "len" takes a string
    runStep(p, "len", 1);
    runSlice(p, { from: "toText", to: "len" }, 5, { permanences: { scale: { factor: 3 } } });
    // @ts-expect-error the fake must fit the permanence
    runStep(p, "len", "x", { permanences: { scale: { factor: "3" } } });
  });
});

describe("sub-pipelines that use the outer pipeline's permanences", () => {
  it("declares them with create<In, TNeeds>() and checks the outer pipeline provides them", () => {
    const sub = Pipeline.create<{ n: number }, { device: { name: string } }>().stage(
      "fit",
      (s, ctx) => ({ n: s.n, on: ctx.get("device").name }),
    );
    const outer = Pipeline.create<{ n: number }>()
      .provide({ device: () => ({ name: "cpu", cleanup() {} }) })
      .requireJoin("train", z.object({ n: z.number(), on: z.string() }));
    outer.provideJoin("train", sub);
    const bare = Pipeline.create<{ n: number }>().requireJoin(
      "train",
      z.object({ n: z.number(), on: z.string() }),
    );
    // @ts-expect-error the sub-pipeline needs permanences "device" that this pipeline does not provide
    bare.provideJoin("train", sub);
  });
});
