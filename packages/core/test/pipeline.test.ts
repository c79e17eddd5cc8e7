import { err, errAsync, ok, okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { currentRun, Pipeline, type TipiEvent } from "../src/index.ts";

describe("Pipeline", () => {
  describe("stage", () => {
    it("threads the state through steps in order", async () => {
      const p = Pipeline.create<{ n: number }>()
        .stage("double", (s) => ({ n: s.n * 2 }))
        .stage("inc", (s) => ({ n: s.n + 1 }));
      expect((await p.run({ n: 5 }))._unsafeUnwrap()).toEqual({ n: 11 });
    });

    it("accepts values, promises, Results and ResultAsyncs", async () => {
      const p = Pipeline.create<number>()
        .stage("value", (n) => n + 1)
        .stage("promise", async (n) => n + 1)
        .stage("result", (n) => ok(n + 1))
        .stage("resultAsync", (n) => okAsync(n + 1));
      expect((await p.run(0))._unsafeUnwrap()).toBe(4);
    });

    it("turns a throw, a rejection and an Err into step-failed with the step and cause", async () => {
      const boom = new Error("boom");
      const cases = [
        Pipeline.create().stage("t", () => {
          throw boom;
        }),
        Pipeline.create().stage("t", async () => Promise.reject(boom)),
        Pipeline.create().stage("t", () => err(boom)),
        Pipeline.create().stage("t", () => errAsync(boom)),
      ];
      for (const p of cases) {
        const e = (await p.run())._unsafeUnwrapErr();
        expect(e).toMatchObject({ kind: "step-failed", step: "t", cause: boom });
        expect(e.message).toBe('step "t" failed: boom');
      }
    });

    it("never rejects, even for an invalid option", async () => {
      const p = Pipeline.create().stage("a", () => 1);
      const r = await p.run(undefined, { cleanupTimeoutMs: Number.NaN, runId: "x" });
      expect(r.isOk()).toBe(true);
    });

    it("rejects a duplicate step name at build time", () => {
      const p = Pipeline.create().stage("a", () => 1);
      // @ts-expect-error a step or join named "a" already exists (the runtime check is for untyped pipelines)
      expect(() => p.stage("a", () => 2)).toThrow(/already has a step named "a"/);
    });
  });

  describe("immutability", () => {
    it("every call returns a new pipeline and leaves the old graph intact", () => {
      const base = Pipeline.create<{ n: number }>().stage("a", (s) => s);
      const before = base.describe();
      const next = base.stage("b", (s) => s);
      expect(base.describe()).toBe(before);
      expect(base.describe().steps.map((s) => s.name)).toEqual(["a"]);
      expect(next.describe().steps.map((s) => s.name)).toEqual(["a", "b"]);
      expect(Object.isFrozen(before)).toBe(true);
      expect(Object.isFrozen(before.steps)).toBe(true);
    });
  });

  describe("events and context", () => {
    it("emits run and step events in order and exposes currentRun() inside steps", async () => {
      const events: TipiEvent[] = [];
      let seen: string | undefined;
      const p = Pipeline.create({ name: "demo" })
        .stage("one", () => {
          seen = currentRun()?.step;
          return 1;
        })
        .io("two", async (n, ctx) => {
          ctx.emit({ type: "metric", values: { loss: 0.5 }, step: 1 });
          await new Promise((r) => setTimeout(r, 1));
          return currentRun()?.runId === "r1" ? n + 1 : -1;
        });
      const r = await p.run(undefined, { onEvent: (e) => events.push(e), runId: "r1" });
      expect(r._unsafeUnwrap()).toBe(2);
      expect(seen).toBe("one");
      expect(currentRun()).toBeUndefined();
      expect(events.map((e) => e.type)).toEqual([
        "run:start",
        "step:start",
        "step:end",
        "step:start",
        "metric",
        "step:end",
        "run:end",
      ]);
      expect(events[0]).toMatchObject({ runId: "r1", pipeline: "demo", steps: ["one", "two"] });
      expect(events.at(-1)).toMatchObject({ type: "run:end", ok: true });
    });

    it("a throwing listener does not break the run", async () => {
      const p = Pipeline.create().stage("a", () => 1);
      const r = await p.run(undefined, {
        onEvent: () => {
          throw new Error("listener");
        },
      });
      expect(r._unsafeUnwrap()).toBe(1);
    });
  });

  describe("through", () => {
    it("validates, narrows to the schema's output, and reports issues with their path", async () => {
      const schema = z.object({ lr: z.coerce.number(), layers: z.array(z.number()) });
      const p = Pipeline.create<unknown>().through(schema);
      expect((await p.run({ lr: "0.1", layers: [1] }))._unsafeUnwrap()).toEqual({
        lr: 0.1,
        layers: [1],
      });
      const e = (await p.run({ lr: 1, layers: [1, "x"] }))._unsafeUnwrapErr();
      expect(e.kind).toBe("validation-failed");
      expect(e.message).toMatch(/layers\[1\]: /);
    });
  });

  describe("joins", () => {
    const base = Pipeline.create<{ n: number }>()
      .stage("prep", (s) => ({ n: s.n + 1 }))
      .requireJoin("train", z.object({ n: z.number(), acc: z.number() }))
      .stage("report", (s) => `acc=${s.acc}`);

    it("provideJoin leaves the base unchanged", async () => {
      const before = base.describe();
      const filled = base.provideJoin("train", (s) => ({ ...s, acc: s.n / 10 }));
      expect(base.describe()).toBe(before);
      const join = base.describe().steps.find((s) => s.name === "train");
      expect(join).toMatchObject({ kind: "join" });
      expect(join && "impl" in join ? join.impl : undefined).toBeUndefined();
      expect((await filled.run({ n: 1 }))._unsafeUnwrap()).toBe("acc=0.2");
    });

    it("an unfilled join is a clear runtime error before anything runs", async () => {
      let created = false;
      const p = base.provide({
        x: () => {
          created = true;
          return {};
        },
      });
      // @ts-expect-error join "train" needs provideJoin() before run()
      const e = (await p.run({ n: 1 }))._unsafeUnwrapErr();
      expect(e).toMatchObject({ kind: "join-missing", join: "train" });
      expect(e.message).toContain('provideJoin("train"');
      expect(created).toBe(false);
    });

    it("validates the join's output with its schema", async () => {
      // @ts-expect-error acc must be a number
      const bad = base.provideJoin("train", (s) => ({ ...s, acc: "high" }));
      const e = (await bad.run({ n: 1 }))._unsafeUnwrapErr();
      expect(e.kind).toBe("validation-failed");
      expect(e.message).toMatch(/acc: /);
    });

    it("accepts a sub-pipeline whose input is the state at the join", async () => {
      const log: string[] = [];
      const events: TipiEvent[] = [];
      const sub = Pipeline.create<{ n: number }>()
        .provide({
          inner: () => ({
            cleanup: () => {
              log.push("cleanup inner");
            },
          }),
        })
        .stage("fit", (s) => ({ ...s, acc: s.n / 4 }));
      const p = base
        .provide({
          outer: () => ({
            cleanup: () => {
              log.push("cleanup outer");
            },
          }),
        })
        .provideJoin("train", sub);
      const r = await p.run({ n: 1 }, { onEvent: (e) => events.push(e) });
      expect(r._unsafeUnwrap()).toBe("acc=0.5");
      expect(log).toEqual(["cleanup inner", "cleanup outer"]);
      expect(events.filter((e) => e.type === "step:start").map((e) => e.step)).toEqual([
        "prep",
        "train",
        "train/fit",
        "report",
      ]);
    });
  });
});

describe("describe()", () => {
  it("returns the graph as data, with distinct names for unnamed throughs", () => {
    const schema = z.object({ n: z.number() });
    const p = Pipeline.create<{ n: number }>({ name: "g" })
      .provide({ dev: () => ({}) })
      .through(schema)
      .io("save", (s) => s, { timeout: "1m30s", retries: 2, checkpoint: true })
      .through(schema, { name: "checked" })
      .through(schema)
      .requireJoin("train");
    const graph = p.describe();
    expect(graph.name).toBe("g");
    expect(graph.permanences.map((x) => x.name)).toEqual(["dev"]);
    expect(graph.steps.map((s) => `${s.kind}:${s.name}`)).toEqual([
      "through:through",
      "io:save",
      "through:checked",
      "through:through#3",
      "join:train",
    ]);
    expect(graph.steps[1]).toMatchObject({
      timeoutMs: 90_000,
      checkpoint: true,
      retry: { retries: 2, backoff: { initialMs: 100, factor: 2 } },
    });
  });
});
