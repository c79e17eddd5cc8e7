import { buildPipeline, Pipeline, Registry } from "@tipi/core";
import { describe, expect, it } from "vitest";
import {
  RunStore,
  readHistory,
  readSyncState,
  registerWandb,
  syncRun,
  WandBLogger,
} from "../src/index.ts";
import { startFakeWandbServer } from "../src/testing/index.ts";
import { API_KEY, everythingWritten, expectExactlyOnce, tempRoot } from "./wandb-helpers.ts";

describe("WandBLogger as a permanence of a real pipeline", () => {
  it("metric events reach W&B through the run store; a failed step completes the W&B run with exit code 1", async (ctx) => {
    const fake = await startFakeWandbServer({ apiKey: API_KEY });
    ctx.onTestFinished(() => fake.close());
    // What `tipi run` does: a run store whose listener receives the run's events.
    const store = RunStore.create({ root: tempRoot(), pipeline: "demo", config: { epochs: 2 } });
    const pipeline = Pipeline.create<{ n: number }>()
      .provide({
        logger: () =>
          new WandBLogger({
            project: "demo",
            baseUrl: fake.url,
            apiKey: API_KEY,
            timeouts: { initMs: 30_000, finishMs: 4_000, requestMs: 1_000 },
          }),
      })
      .io("train", (state, step) => {
        for (let i = 0; i < 4; i++)
          step.emit({ type: "metric", values: { loss: 1 / (i + 1) }, step: i, epoch: 0 });
        step.get("logger").summary({ note: "from a step" });
        return state;
      })
      .io("explode", () => {
        throw new Error("boom");
      });
    const result = await pipeline.run(
      { n: 1 },
      { onEvent: store.listener(), runDir: store.dir, runId: store.runId },
    );
    expect(result.isErr()).toBe(true);

    expect(readHistory(store.dir)).toHaveLength(4);
    const runName = readSyncState(store.dir)?.runId ?? "";
    expectExactlyOnce(fake, store.dir, runName);
    expect(fake.run(runName).complete).toEqual({ exitcode: 1 });
    expect(fake.run(runName).config).toEqual({ epochs: 2 });
    expect(fake.run(runName).summary).toMatchObject({ note: "from a step" });
    expect(everythingWritten(store.dir)).not.toContain(API_KEY);
  });

  it("under a W&B sweep agent, joins the agent's run (WANDB_RUN_ID) and records its sweep", async (ctx) => {
    const fake = await startFakeWandbServer({ apiKey: API_KEY });
    ctx.onTestFinished(() => fake.close());
    const saved = { run: process.env.WANDB_RUN_ID, sweep: process.env.WANDB_SWEEP_ID };
    process.env.WANDB_RUN_ID = "agentrun";
    process.env.WANDB_SWEEP_ID = "sweep123";
    ctx.onTestFinished(async () => {
      for (const [name, value] of [
        ["WANDB_RUN_ID", saved.run],
        ["WANDB_SWEEP_ID", saved.sweep],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    const logger = new WandBLogger({
      mode: "offline",
      root: tempRoot(),
      project: "sweepy",
      apiKey: API_KEY,
    });
    logger.initialize();
    logger.log({ loss: 0.5 }, { step: 0 });
    await logger.finish();
    const synced = await syncRun(logger.runDir, {
      apiKey: API_KEY,
      baseUrl: fake.url,
      exitCode: 0,
    });
    expect(synced._unsafeUnwrap().runId).toBe("agentrun");
    expect(fake.run("agentrun")).toMatchObject({ sweep: "sweep123", project: "sweepy" });
  });

  it("config-built pipelines: registerWandb validates WandBLogger params and builds it", async () => {
    const registry = registerWandb(new Registry());
    const bad = buildPipeline(
      { permanences: { logger: { type: "WandBLogger", mode: "loud", tags: "x" } } },
      registry,
    );
    expect(bad._unsafeUnwrapErr().map((issue) => issue.path.join("."))).toEqual([
      "permanences.logger.mode",
      "permanences.logger.tags",
    ]);
    const store = RunStore.create({ root: tempRoot(), pipeline: "toml", config: {} });
    const good = buildPipeline(
      {
        permanences: {
          logger: { type: "WandBLogger", mode: "offline", project: "from-toml", tags: ["a"] },
        },
        processes: {},
      },
      registry,
    );
    const result = await good
      ._unsafeUnwrap()
      .run(undefined, { runDir: store.dir, onEvent: store.listener() });
    expect(result.isOk()).toBe(true);
    expect(readSyncState(store.dir)).toMatchObject({
      project: "from-toml",
      tags: ["a"],
      mode: "offline",
    });
  });
});
