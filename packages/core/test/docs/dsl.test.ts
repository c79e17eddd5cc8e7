// The code shown in docs/dsl.md: each #region is one code block, checked by docs-sync.test.ts.
// biome-ignore-all assist/source/organizeImports: imports stay inside the #regions shown in the docs
import { expect, it } from "vitest";

// #region basic
import { err, type Guard, ok, Pipeline, type TipiEvent } from "@tipi/core";
import { z } from "zod";

const Config = z.object({ learningRate: z.number().positive(), epochs: z.number().int() });

const base = Pipeline.create<{ configText: string }>({ name: "quickstart" })
  .provide({ clock: () => ({ now: () => Date.now(), cleanup() {} }) })
  .stage("parse", (s) => JSON.parse(s.configText) as unknown)
  .through(Config) // validates; the state is now { learningRate: number; epochs: number }
  .io("announce", (s, ctx) => {
    ctx.emit({ type: "log", level: "info", message: `starting at ${ctx.get("clock").now()}` });
    return s;
  })
  .requireJoin("train", z.object({ accuracy: z.number() }))
  .stage("report", (s) => `accuracy ${s.accuracy.toFixed(2)}`);

const pipeline = base.provideJoin("train", (s) => ({ accuracy: 1 - 1 / (s.epochs + 1) }));
// #endregion basic

it("basic", async () => {
  // #region run
  const result = await pipeline.run({ configText: '{"learningRate":0.01,"epochs":3}' });
  result.match(
    (text) => console.log(text), // "accuracy 0.75"
    (error) => console.error(error.kind, error.message),
  );
  // #endregion run
  expect(result._unsafeUnwrap()).toBe("accuracy 0.75");
  expect(base.describe().steps.find((s) => s.name === "train")).not.toHaveProperty("impl");
});

it("events", async () => {
  // #region events
  const events: TipiEvent[] = [];
  await pipeline.run(
    { configText: '{"learningRate":0.1,"epochs":1}' },
    {
      onEvent: (event) => events.push(event),
      runId: "demo-1",
    },
  );
  console.log(events.map((e) => e.type).join(" "));
  // run:start step:start step:end … log … run:end
  // #endregion events
  expect(events[0]).toMatchObject({ type: "run:start", runId: "demo-1" });
  expect(events.some((e) => e.type === "log")).toBe(true);
});

it("results", async () => {
  // #region results
  const safeDivide = Pipeline.create<{ a: number; b: number }>()
    .stage("divide", (s) => (s.b === 0 ? err("division by zero") : ok(s.a / s.b)))
    .io("fetch", async (q, ctx) => {
      const res = await fetch(`http://127.0.0.1:9/q=${q}`, { signal: ctx.signal });
      return res.status;
    });
  const failed = await safeDivide.run({ a: 1, b: 0 });
  // failed.error: { kind: "step-failed", step: "divide", cause: "division by zero", … }
  // #endregion results
  expect(failed._unsafeUnwrapErr()).toMatchObject({
    kind: "step-failed",
    cause: "division by zero",
  });
});

it("io options", async () => {
  // #region io
  let attempts = 0;
  const upload = Pipeline.create<{ file: string }>().io(
    "upload",
    async (s, ctx) => {
      attempts++;
      if (attempts < 3) throw new Error("503 from the server");
      await new Promise((resolve) => setTimeout(resolve, 1));
      ctx.signal.throwIfAborted(); // long work checks (or passes on) its signal
      return { ...s, url: `https://example.test/${s.file}` };
    },
    { timeout: "2s", retries: 3, backoff: { initial: "10ms", factor: 2, max: "1s" } },
  );
  const uploaded = await upload.run({ file: "model.json" });
  // Ok after 2 retries; each retry was a step:retry event with its delay (10 ms, 20 ms).
  // #endregion io
  expect(uploaded._unsafeUnwrap().url).toBe("https://example.test/model.json");
  expect(attempts).toBe(3);
});

it("guards and hooks", async () => {
  // #region guards
  const onlyOn =
    (platform: NodeJS.Platform): Guard =>
    (next, info) =>
    (state, ctx) =>
      process.platform === platform
        ? next(state, ctx)
        : err(new Error(`${info.step} runs on ${platform} only`)); // the step does not run
  const timed: Guard = (next, info) => async (state, ctx) => {
    const started = performance.now();
    const out = await next(state, ctx);
    const ms = (performance.now() - started).toFixed(1);
    ctx.emit({ type: "log", level: "debug", message: `${info.step} took ${ms} ms` });
    return out;
  };
  const Progress = z.object({ epoch: z.number() });
  const guarded = Pipeline.create<{ epoch: number }>()
    .guard(timed) // every later step
    .through(Progress, {
      hooks: [
        {
          name: "heartbeat",
          run: (s, ctx) => ctx.emit({ type: "log", level: "debug", message: `epoch ${s.epoch}` }),
        },
        {
          name: "finite",
          run: (s) => {
            if (!Number.isFinite(s.epoch)) throw new Error("epoch is not finite");
          },
          fatal: true,
        },
      ],
    })
    .stage("next", (s) => ({ epoch: s.epoch + 1 }))
    .stage("macOnly", (s) => ({ epoch: s.epoch * 100 }), { guards: [onlyOn("darwin")] });
  // #endregion guards
  const r = await guarded.run({ epoch: 1 });
  if (process.platform === "darwin") expect(r._unsafeUnwrap().epoch).toBe(200);
  else
    expect(r._unsafeUnwrapErr()).toMatchObject({
      kind: "step-failed",
      step: "macOnly",
      message: 'step "macOnly" failed: macOnly runs on darwin only',
    });
});

it("sub-pipelines and override", async () => {
  // #region sub-pipeline
  const fit = Pipeline.create<{ learningRate: number; epochs: number }>()
    .provide({ history: () => ({ losses: [] as number[], cleanup() {} }) })
    .stage("fit", (s, ctx) => {
      for (let e = 0; e < s.epochs; e++) ctx.get("history").losses.push(1 / (e + 1));
      return { ...s, losses: ctx.get("history").losses };
    })
    .stage("score", (s) => ({ accuracy: 1 - (s.losses.at(-1) ?? 1) }));
  const withSub = base.provideJoin("train", fit); // its steps report as "train/fit", "train/score"
  const offline = withSub.override("announce", (s) => s); // same types as the original step
  // #endregion sub-pipeline
  const r = await offline.run({ configText: '{"learningRate":0.1,"epochs":4}' });
  expect(r._unsafeUnwrap()).toBe("accuracy 0.75");
});

it("describe", () => {
  // #region describe
  const graph = pipeline.describe();
  console.log(graph.steps.map((s) => `${s.kind}:${s.name}`).join(" → "));
  // stage:parse → through:through → io:announce → join:train → stage:report
  console.log(graph.permanences.map((p) => p.name)); // ["clock"]
  // #endregion describe
  expect(graph.steps.map((s) => `${s.kind}:${s.name}`).join(" → ")).toBe(
    "stage:parse → through:through → io:announce → join:train → stage:report",
  );
});
