import { describe, expect, it } from "vitest";
import {
  type LifecycleContext,
  Pipeline,
  type PipelineError,
  type TipiEvent,
} from "../src/index.ts";

/** A pipeline with three logging permanences (a, b, c) and the given failing step. */
function tracked(log: string[]) {
  const perm = (name: string) => ({
    initialize: () => {
      log.push(`init ${name}`);
    },
    validate: () => {
      log.push(`validate ${name}`);
    },
    checkpoint: (ctx: { reason?: string }) => {
      log.push(`checkpoint ${name} ${ctx.reason}`);
    },
    cleanup: () => {
      log.push(`cleanup ${name}`);
    },
  });
  return Pipeline.create<number>()
    .provide({ a: () => perm("a") })
    .provide({ b: () => perm("b"), c: () => perm("c") });
}

const LIFECYCLE = [
  "init a",
  "init b",
  "init c",
  "validate a",
  "validate b",
  "validate c",
  "step",
  "cleanup c",
  "cleanup b",
  "cleanup a",
];

describe("permanence lifecycle", () => {
  const failures: [string, (log: string[]) => (n: number) => unknown, PipelineError["kind"]][] = [
    [
      "a throw",
      (log) => () => {
        log.push("step");
        throw new Error("thrown");
      },
      "step-failed",
    ],
    [
      "a rejected promise",
      (log) => async () => {
        log.push("step");
        await Promise.resolve();
        throw new Error("rejected");
      },
      "step-failed",
    ],
    ["success", (log) => (n) => log.push("step") && n, "step-failed"],
  ];
  for (const [what, step, kind] of failures) {
    it(`runs initialize → validate → steps → cleanup (reverse, exactly once) on ${what}`, async () => {
      const log: string[] = [];
      const r = await tracked(log).stage("s", step(log)).run(1);
      if (what !== "success") expect(r._unsafeUnwrapErr().kind).toBe(kind);
      else expect(r.isOk()).toBe(true);
      expect(log).toEqual(LIFECYCLE);
    });
  }

  it("on an io timeout: aborts the step's signal, abandons it, cleans up once", async () => {
    const log: string[] = [];
    let aborted: unknown;
    const p = tracked(log).io(
      "slow",
      (_n, ctx) => {
        log.push("step");
        ctx.signal.addEventListener("abort", () => {
          aborted = ctx.signal.reason;
        });
        return new Promise(() => {}); // ignores its signal: still abandoned
      },
      { timeout: "30ms" },
    );
    const started = Date.now();
    const e = (await p.run(1))._unsafeUnwrapErr();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(e).toMatchObject({ kind: "timed-out", step: "slow", timeoutMs: 30 });
    expect(aborted).toBeInstanceOf(DOMException);
    expect((aborted as DOMException).name).toBe("TimeoutError");
    expect(log).toEqual(LIFECYCLE);
  });

  it("cleans up nothing initialised when a factory fails, and reports the phase", async () => {
    const log: string[] = [];
    const p = tracked(log)
      .provide({
        broken: () => {
          throw new Error("no device");
        },
      })
      .stage("s", (n) => n);
    const e = (await p.run(1))._unsafeUnwrapErr();
    expect(e).toMatchObject({ kind: "permanence-failed", permanence: "broken", phase: "create" });
    // a, b and c were created but their initialize never ran: cleanup pairs with initialize.
    expect(log).toEqual([]);
  });

  it("cleans up everything created when initialize fails", async () => {
    const log: string[] = [];
    const p = tracked(log)
      .provide({
        d: () => ({
          initialize: () => {
            throw new Error("init failed");
          },
          cleanup: () => {
            log.push("cleanup d");
          },
        }),
      })
      .stage("s", (n) => n);
    const e = (await p.run(1))._unsafeUnwrapErr();
    expect(e).toMatchObject({ kind: "permanence-failed", permanence: "d", phase: "initialize" });
    expect(log.filter((l) => l.startsWith("cleanup"))).toEqual([
      "cleanup d",
      "cleanup c",
      "cleanup b",
      "cleanup a",
    ]);
  });

  it("aggregates cleanup failures, keeps the original error primary, still cleans up the rest", async () => {
    const log: string[] = [];
    const events: TipiEvent[] = [];
    const failing = (name: string) => ({
      cleanup: () => {
        log.push(`cleanup ${name}`);
        throw new Error(`${name} cleanup broke`);
      },
    });
    const p = Pipeline.create()
      .provide({ x: () => failing("x"), y: () => ({ cleanup: () => void log.push("cleanup y") }) })
      .provide({ z: () => failing("z") })
      .stage("s", () => {
        throw new Error("original");
      });
    const e = (await p.run(undefined, { onEvent: (ev) => events.push(ev) }))._unsafeUnwrapErr();
    expect(e).toMatchObject({ kind: "step-failed", step: "s" });
    expect(log).toEqual(["cleanup z", "cleanup y", "cleanup x"]);
    const aggregate = events.find((ev) => ev.type === "step:error" && ev.step === "cleanup");
    expect(aggregate).toMatchObject({
      error: {
        kind: "cleanup-failed",
        failures: [{ permanence: "z" }, { permanence: "x" }],
        primary: { kind: "step-failed", step: "s" },
      },
    });
    // Without an earlier error, the aggregate is the run's error.
    const clean = await Pipeline.create()
      .provide({ x: () => failing("x") })
      .stage("s", () => 1)
      .run();
    expect(clean._unsafeUnwrapErr()).toMatchObject({ kind: "cleanup-failed" });
  });

  it("bounds each cleanup with a timeout and goes on with the others", async () => {
    const log: string[] = [];
    const p = Pipeline.create()
      .provide({ a: () => ({ cleanup: () => void log.push("cleanup a") }) })
      .provide({ hang: () => ({ cleanup: () => new Promise<void>(() => {}) }) })
      .stage("s", () => 1);
    const e = (await p.run(undefined, { cleanupTimeoutMs: 30 }))._unsafeUnwrapErr();
    expect(e).toMatchObject({ kind: "cleanup-failed", failures: [{ permanence: "hang" }] });
    expect(log).toEqual(["cleanup a"]);
  });

  it("checkpoints after steps marked { checkpoint: true }, restores on resume", async () => {
    const log: string[] = [];
    const p = tracked(log)
      .provide({ r: () => ({ restore: () => void log.push("restore r"), cleanup() {} }) })
      .stage("one", (n) => n + 1, { checkpoint: true })
      .stage("two", (n) => n + 1);
    const r = await p.run(1, { resume: true });
    expect(r._unsafeUnwrap()).toBe(3);
    expect(log).toEqual([
      "init a",
      "init b",
      "init c",
      "validate a",
      "validate b",
      "validate c",
      "restore r",
      "checkpoint a step",
      "checkpoint b step",
      "checkpoint c step",
      "cleanup c",
      "cleanup b",
      "cleanup a",
    ]);
  });

  it("cancels through run({ signal }): checkpoint on interrupt, then cleanup", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const p = tracked(log).io("wait", (_n, ctx) => {
      log.push("step");
      setTimeout(() => controller.abort(new Error("user stop")), 5);
      return new Promise((_, reject) => ctx.signal.addEventListener("abort", reject));
    });
    const e = (await p.run(1, { signal: controller.signal }))._unsafeUnwrapErr();
    expect(e).toMatchObject({ kind: "cancelled", step: "wait" });
    expect(e.message).toContain("user stop");
    expect(log).toEqual([
      ...LIFECYCLE.slice(0, 7),
      "checkpoint a interrupt",
      "checkpoint b interrupt",
      "checkpoint c interrupt",
      ...LIFECYCLE.slice(7),
    ]);
  });

  it("an already-aborted signal runs nothing", async () => {
    const log: string[] = [];
    const p = tracked(log).stage("s", (n) => n);
    const e = (await p.run(1, { signal: AbortSignal.abort("early") }))._unsafeUnwrapErr();
    expect(e.kind).toBe("cancelled");
    expect(log).toEqual([]);
  });

  it("emits permanence events for every phase", async () => {
    const events: TipiEvent[] = [];
    await tracked([])
      .stage("s", (n) => n)
      .run(1, { onEvent: (e) => events.push(e) });
    const phases = events.flatMap((e) =>
      e.type === "permanence" && e.status === "end" ? [`${e.phase} ${e.name}`] : [],
    );
    expect(phases).toEqual([
      "initialize a",
      "initialize b",
      "initialize c",
      "validate a",
      "validate b",
      "validate c",
      "cleanup c",
      "cleanup b",
      "cleanup a",
    ]);
  });

  it("lifecycle methods publish on the run's bus through ctx.emit", async () => {
    const events: TipiEvent[] = [];
    const say = (message: string) => (ctx: LifecycleContext) =>
      ctx.emit?.({ type: "log", level: "info", message });
    await Pipeline.create()
      .provide({ device: () => ({ initialize: say("chosen"), cleanup: say("freed") }) })
      .stage("s", () => events.push({ type: "log", level: "debug", message: "step" }))
      .run(undefined, { onEvent: (e) => events.push(e) });
    const order = events.flatMap((e) =>
      e.type === "log"
        ? [e.message]
        : e.type === "permanence" && e.status === "end"
          ? [`${e.phase} end`]
          : [],
    );
    expect(order).toEqual(["chosen", "initialize end", "step", "freed", "cleanup end"]);
  });

  it("a factory may use permanences provided before it", async () => {
    const p = Pipeline.create()
      .provide({ base: () => ({ value: 20 }) })
      .provide({ derived: (deps) => ({ value: deps.get("base").value + 1 }) })
      .stage("read", (_s, ctx) => ctx.get("derived").value * 2);
    expect((await p.run())._unsafeUnwrap()).toBe(42);
  });
});

describe("cancellation inside a sub-pipeline join", () => {
  for (const innerPermanence of [true, false]) {
    it(`cancels the inner step, cleans up inner before outer (inner permanence: ${innerPermanence})`, async () => {
      const log: string[] = [];
      const controller = new AbortController();
      const perm = (name: string) => () => ({ cleanup: () => void log.push(`cleanup ${name}`) });
      const fit = Pipeline.create<number>().io("fit", () => {
        setTimeout(() => controller.abort(new Error("stop")), 5);
        // Ignores its signal for a while: the inner executor abandons it.
        return new Promise<number>((resolve) => setTimeout(() => resolve(1), 200));
      });
      const inner = innerPermanence ? fit.provide({ innerPerm: perm("inner") }) : fit;
      const outer = Pipeline.create<number>()
        .provide({ outerPerm: perm("outer") })
        .requireJoin("train")
        .stage("after", (n) => {
          log.push("after");
          return n;
        })
        .provideJoin("train", inner);
      const started = Date.now();
      const e = (await outer.run(0, { signal: controller.signal }))._unsafeUnwrapErr();
      expect(Date.now() - started).toBeLessThan(150);
      expect(e).toMatchObject({ kind: "cancelled", step: "train/fit" });
      expect(log).toEqual(innerPermanence ? ["cleanup inner", "cleanup outer"] : ["cleanup outer"]);
    });
  }
});

describe("interrupt checkpoint", () => {
  it("is bounded, so a hanging checkpoint cannot keep cleanup from running", async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const p = Pipeline.create()
      .provide({
        stuck: () => ({
          checkpoint: () => new Promise<void>(() => {}),
          cleanup: () => void log.push("cleanup stuck"),
        }),
      })
      .io("wait", () => {
        controller.abort("stop");
        return new Promise(() => {});
      });
    const e = (
      await p.run(undefined, { signal: controller.signal, cleanupTimeoutMs: 30 })
    )._unsafeUnwrapErr();
    expect(e.kind).toBe("cancelled");
    expect(log).toEqual(["cleanup stuck"]);
  });
});

describe("defects outside step functions", () => {
  it("a schema whose validate throws still fails typed and still cleans up", async () => {
    const log: string[] = [];
    const broken = {
      "~standard": {
        version: 1 as const,
        vendor: "broken",
        validate: (): never => {
          throw new Error("validator crashed");
        },
      },
    };
    const p = Pipeline.create()
      .provide({ a: () => ({ cleanup: () => void log.push("cleanup a") }) })
      .through(broken);
    const e = (await p.run())._unsafeUnwrapErr();
    expect(e).toMatchObject({ kind: "step-failed", step: "through" });
    expect(e.message).toContain("validator crashed");
    expect(log).toEqual(["cleanup a"]);
  });
});

describe("cleanup only after initialize (issue 12)", () => {
  it("does not clean up a permanence whose initialize never ran", async () => {
    const log: string[] = [];
    const perm = (name: string, fail = false) => ({
      initialize: () => {
        log.push(`init ${name}`);
        if (fail) throw new Error(`init ${name} failed`);
      },
      cleanup: () => {
        log.push(`cleanup ${name}`);
      },
    });
    const p = Pipeline.create<number>()
      .provide({
        a: () => perm("a", true),
        b: () => perm("b"),
        plain: () => ({ cleanup: () => log.push("cleanup plain") }),
      })
      .stage("s", (n) => n);
    const e = (await p.run(1))._unsafeUnwrapErr();
    expect(e).toMatchObject({ kind: "permanence-failed", permanence: "a" });
    // "b" was created but never initialised; "a" failed inside initialize; "plain" has none.
    expect(log).toEqual(["init a", "cleanup plain", "cleanup a"]);
  });
});

describe("ctx.has()", () => {
  it("says whether a permanence exists, in steps and in factories", async () => {
    const p = Pipeline.create()
      .provide({ clock: () => ({ now: 1 }) })
      .provide({ seen: (deps) => ({ clock: deps.has("clock"), logger: deps.has("logger") }) })
      .stage("s", (_s, ctx) => ({
        ...ctx.get("seen"),
        stepClock: ctx.has("clock"),
        stepLogger: ctx.has("logger"),
      }));
    expect((await p.run())._unsafeUnwrap()).toEqual({
      clock: true,
      logger: false,
      stepClock: true,
      stepLogger: false,
    });
  });
});
