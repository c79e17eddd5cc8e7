import { type } from "arktype";
import { match } from "ts-pattern";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  err,
  errAsync,
  type Guard,
  ok,
  Pipeline,
  type PipelineError,
  type StandardSchemaV1,
  type TipiEvent,
} from "../src/index.ts";

describe("io", () => {
  it("retries with exponential backoff and reports each retry as an event", async () => {
    const events: TipiEvent[] = [];
    const attempts: number[] = [];
    const p = Pipeline.create().io(
      "flaky",
      () => {
        attempts.push(Date.now());
        if (attempts.length < 3) throw new Error(`fail ${attempts.length}`);
        return "done";
      },
      { retries: 3, backoff: { initial: "20ms", factor: 2 } },
    );
    const r = await p.run(undefined, { onEvent: (e) => events.push(e) });
    expect(r._unsafeUnwrap()).toBe("done");
    const retries = events.filter((e) => e.type === "step:retry");
    expect(retries).toMatchObject([
      { step: "flaky", attempt: 1, delayMs: 20 },
      { step: "flaky", attempt: 2, delayMs: 40 },
    ]);
    expect((retries[0] as { cause: Error }).cause.message).toBe("fail 1");
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(35);
  });

  it("gives up after the last retry with the last failure", async () => {
    let calls = 0;
    const p = Pipeline.create().io(
      "never",
      () => {
        calls++;
        throw new Error(`fail ${calls}`);
      },
      { retries: 2, backoff: 1 },
    );
    const e = (await p.run())._unsafeUnwrapErr();
    expect(calls).toBe(3);
    expect(e.message).toBe('step "never" failed: fail 3');
  });

  it("retries a timed-out attempt with a fresh signal; retryIf can refuse", async () => {
    const signals: AbortSignal[] = [];
    const p = Pipeline.create().io(
      "slow-then-fast",
      (_s, ctx) => {
        signals.push(ctx.signal);
        return signals.length === 1 ? new Promise(() => {}) : "ok";
      },
      { timeout: 20, retries: 1, backoff: 1 },
    );
    expect((await p.run())._unsafeUnwrap()).toBe("ok");
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);

    let calls = 0;
    const refused = Pipeline.create().io(
      "fatal",
      () => {
        calls++;
        throw new TypeError("bad input");
      },
      { retries: 5, retryIf: (cause) => !(cause instanceof TypeError) },
    );
    expect((await refused.run())._unsafeUnwrapErr().kind).toBe("step-failed");
    expect(calls).toBe(1);
  });
});

describe("through", () => {
  const cases: [string, StandardSchemaV1<unknown, { lr: number }>][] = [
    ["zod", z.object({ lr: z.number() })],
    ["valibot", v.object({ lr: v.number() })],
    ["arktype", type({ lr: "number" })],
  ];
  for (const [name, schema] of cases) {
    it(`works with ${name}`, async () => {
      const p = Pipeline.create<unknown>().through(schema);
      expect((await p.run({ lr: 0.1 }))._unsafeUnwrap()).toEqual({ lr: 0.1 });
      const e = (await p.run({ lr: "x" }))._unsafeUnwrapErr();
      expect(e).toMatchObject({ kind: "validation-failed", issues: [{ path: "lr" }] });
      expect(e.message).toMatch(/^the state failed validation at "through": lr: /);
    });
  }

  it("awaits an async schema", async () => {
    const schema = z.object({ n: z.number() }).refine(async (s) => s.n > 0, "n must be positive");
    const p = Pipeline.create<unknown>().through(schema, { name: "positive" });
    expect((await p.run({ n: 1 }))._unsafeUnwrap()).toEqual({ n: 1 });
    expect((await p.run({ n: -1 }))._unsafeUnwrapErr().message).toContain("n must be positive");
  });

  it("runs hooks after it and after every later step; failures are events, fatal ones end the run", async () => {
    const seen: string[] = [];
    const events: TipiEvent[] = [];
    const schema = z.object({ n: z.number() });
    const heartbeat = (s: { n: number }) => void seen.push(`beat ${s.n}`);
    const p = Pipeline.create<{ n: number }>()
      .stage("before", (s) => ({ n: s.n + 1 }))
      .through(schema, {
        hooks: [
          heartbeat,
          {
            name: "check",
            run: (s) => {
              if (s.n > 2) throw new Error("n too big");
            },
          },
        ],
      })
      .stage("after", (s) => ({ n: s.n + 1 }));
    const r = await p.run({ n: 1 }, { onEvent: (e) => events.push(e) });
    expect(r._unsafeUnwrap()).toEqual({ n: 3 });
    expect(seen).toEqual(["beat 2", "beat 3"]);
    expect(events.filter((e) => e.type === "hook:error")).toMatchObject([
      { step: "after", hook: "check", fatal: false, cause: { message: "n too big" } },
    ]);

    const fatal = Pipeline.create<{ n: number }>()
      .through(schema, { hooks: [heartbeat], fatalHooks: true })
      .stage("after", (s) => ({ n: s.n + 10 }))
      .stage("never", (s) => {
        seen.push("never");
        return s;
      });
    const e = (await fatal.run({ n: Number.NaN }))._unsafeUnwrapErr();
    expect(e.kind).toBe("validation-failed"); // NaN is not a number for zod
    seen.length = 0;
    const broken = Pipeline.create<{ n: number }>()
      .through(schema, {
        hooks: [
          {
            name: "oom",
            fatal: true,
            run: () => {
              throw new Error("out of memory");
            },
          },
        ],
      })
      .stage("never", (s) => {
        seen.push("never");
        return s;
      });
    const hookError = (await broken.run({ n: 1 }))._unsafeUnwrapErr();
    expect(hookError).toMatchObject({ kind: "hook-failed", hook: "oom", step: "through" });
    expect(seen).toEqual([]);
  });
});

describe("guard", () => {
  it("wraps every later step, and per-step guards wrap one step", async () => {
    const calls: string[] = [];
    const trace: Guard = (next, info) => (state, ctx) => {
      calls.push(`${info.kind}:${info.step}`);
      return next(state, ctx);
    };
    const inner: Guard = (next, info) => async (state, ctx) => {
      calls.push(`inner:${info.step}`);
      return next(state, ctx);
    };
    const p = Pipeline.create<number>()
      .stage("unguarded", (n) => n + 1)
      .guard(trace)
      .stage("a", (n) => n * 10)
      .io("b", (n) => n + 1)
      .stage("c", (n) => n * 1000, { guards: [inner] });
    expect((await p.run(1))._unsafeUnwrap()).toBe(21000);
    expect(calls).toEqual(["stage:a", "io:b", "stage:c", "inner:c"]);
  });

  it("short-circuits only with an err(...) or a throw: the step does not run and the run fails", async () => {
    const refusal = new Error("not the main process");
    const refusals: Record<string, Guard> = {
      err: () => () => err(refusal),
      errAsync: () => () => errAsync(refusal),
      "async err": () => async () => err(refusal),
      throw: () => () => {
        throw refusal;
      },
      "async throw": () => async () => {
        throw refusal;
      },
    };
    for (const [how, guard] of Object.entries(refusals)) {
      const ran: string[] = [];
      const p = Pipeline.create<number>()
        .stage("before", (n) => {
          ran.push("before");
          return n + 1;
        })
        .stage(
          "guarded",
          (n) => {
            ran.push("guarded");
            return n * 10;
          },
          { guards: [guard] },
        )
        .stage("after", (n) => {
          ran.push("after");
          return n;
        });
      const error = (await p.run(1))._unsafeUnwrapErr();
      expect(error, how).toMatchObject({ kind: "step-failed", step: "guarded", cause: refusal });
      expect(ran, how).toEqual(["before"]);
    }
  });

  it("skips a step through info.skip(): the state passes on and step:end says skipped", async () => {
    const events: TipiEvent[] = [];
    const mainProcessOnly: Guard = (next, info) => (state, ctx) =>
      ctx.runId === "worker" ? info.skip() : next(state, ctx);
    const ran: string[] = [];
    const p = Pipeline.create<number>()
      .stage("double", (n) => n * 2)
      .io(
        "save",
        (n) => {
          ran.push("save");
          return n;
        },
        { guards: [mainProcessOnly] },
      )
      .stage("inc", (n) => n + 1);
    expect(
      (await p.run(3, { runId: "worker", onEvent: (e) => events.push(e) }))._unsafeUnwrap(),
    ).toBe(7);
    expect(ran).toEqual([]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: "step:end", step: "save", skipped: true }),
    );
    expect((await p.run(3, { runId: "main" }))._unsafeUnwrap()).toBe(7);
    expect(ran).toEqual(["save"]);
  });

  it("passes the step's own outcome through next(): a failing step still fails", async () => {
    const seen: unknown[] = [];
    const observe: Guard = (next) => async (state, ctx) => {
      const out = await next(state, ctx);
      seen.push(out);
      return out;
    };
    const p = Pipeline.create<number>()
      .guard(observe)
      .stage("double", (n) => n * 2)
      .stage("checked", (n) => (n > 10 ? ok(n) : err(new Error(`${n} is too small`))));
    expect((await p.run(3))._unsafeUnwrapErr()).toMatchObject({
      kind: "step-failed",
      step: "checked",
    });
    expect(seen[0]).toBe(6);
    expect((await p.run(6))._unsafeUnwrap()).toBe(12);
  });
});

describe("override", () => {
  it("swaps a named step and leaves the original pipeline alone", async () => {
    const p = Pipeline.create<number>()
      .stage("load", (n) => n + 1)
      .stage("twice", (n) => n * 2);
    const fake = p.override("load", () => 100);
    expect((await fake.run(1))._unsafeUnwrap()).toBe(200);
    expect((await p.run(1))._unsafeUnwrap()).toBe(4);
    expect(fake.describe().steps.map((s) => s.kind)).toEqual(["stage", "stage"]);
  });
});

describe("PipelineError", () => {
  it("is handled exhaustively with ts-pattern", async () => {
    const explain = (e: PipelineError): string =>
      match(e)
        .with({ kind: "step-failed" }, (x) => `failed at ${x.step}`)
        .with({ kind: "timed-out" }, (x) => `timeout ${x.timeoutMs}`)
        .with({ kind: "validation-failed" }, (x) => `invalid ${x.issues.length}`)
        .with({ kind: "join-missing" }, (x) => `missing ${x.join}`)
        .with({ kind: "permanence-failed" }, (x) => `${x.permanence} ${x.phase}`)
        .with({ kind: "cancelled" }, () => "cancelled")
        .with({ kind: "cleanup-failed" }, (x) => `cleanup ${x.failures.length}`)
        .with({ kind: "hook-failed" }, (x) => `hook ${x.hook}`)
        .exhaustive();
    const timedOut = await Pipeline.create()
      .io("t", () => new Promise(() => {}), { timeout: 5 })
      .run();
    expect(explain(timedOut._unsafeUnwrapErr())).toBe("timeout 5");
    const failed = await Pipeline.create()
      .stage("x", () => {
        throw 1;
      })
      .run();
    expect(explain(failed._unsafeUnwrapErr())).toBe("failed at x");
  });
});

describe("retry options (issue 12)", () => {
  it("refuses retries that are not whole numbers ≥ 0 (NaN used to retry forever)", () => {
    const base = Pipeline.create();
    expect(() => base.io("a", () => {}, { retries: Number.NaN })).toThrow(/invalid retries NaN/);
    expect(() => base.io("b", () => {}, { retries: 1.5 })).toThrow(/invalid retries 1.5/);
  });

  it("uses a fixed backoff as given, without the 30 s cap", () => {
    const node = Pipeline.create()
      .io("a", () => {}, { retries: 1, backoff: "1m" })
      .describe().steps[0];
    expect(node?.kind === "io" && node.retry?.backoff).toMatchObject({
      initialMs: 60_000,
      maxMs: 60_000,
      factor: 1,
    });
    const grown = Pipeline.create()
      .io("a", () => {}, { retries: 1, backoff: { initial: "1m" } })
      .describe().steps[0];
    expect(grown?.kind === "io" && grown.retry?.backoff.maxMs).toBe(60_000);
  });
});
