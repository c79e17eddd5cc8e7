import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Device,
  deviceManager,
  type EventOf,
  logger,
  Pipeline,
  progressBar,
  type TipiEvent,
} from "tipi";
import { afterEach, describe, expect, it, vi } from "vitest";

type Progress = EventOf<"progress">;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Captures what reaches the terminal while `fn` runs. */
async function captureTerminal<T>(fn: () => Promise<T>): Promise<{ value: T; written: string }> {
  let written = "";
  const capture = (chunk: unknown) => {
    written += String(chunk);
    return true;
  };
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  try {
    return { value: await fn(), written };
  } finally {
    vi.restoreAllMocks();
  }
}

describe("helpers inside a pipeline run", () => {
  it("send progress and metrics to the run's bus, use the run's device, and print nothing", async () => {
    const root = mkdtempSync(join(tmpdir(), "tipi-in-run-"));
    const events: TipiEvent[] = [];
    const pipeline = Pipeline.create()
      .provide({ device: () => new Device({ backend: "cpu" }) })
      .io("train", async () => {
        const info = logger.init({ project: "ignored-in-a-run", root });
        const device = await deviceManager.getDevice();
        let step = 0;
        for (const epoch of progressBar(2, { label: "Epoch" })) {
          for await (const batch of progressBar(batchesOf(250), { label: "Batch", total: 250 })) {
            if (batch % 50 === 0) logger.log({ loss: 1 / (batch + 1), epoch }, ++step);
          }
        }
        await logger.finish();
        return { info, device, step };
      });

    const { value: result, written } = await captureTerminal(async () =>
      pipeline.run(undefined, { onEvent: (e) => events.push(e), runId: "run-1" }),
    );

    const state = result._unsafeUnwrap();
    expect(state.info).toEqual({ mode: "pipeline", runId: "run-1" });
    expect(state.device).toMatchObject({ backend: "cpu", source: "pipeline" });
    expect(existsSync(join(root, "ignored-in-a-run"))).toBe(false); // no second run directory
    expect(written).toBe(""); // no second progress display, no stray logging

    const progress = events.filter((e): e is Progress => e.type === "progress");
    const epochBar = progress.filter((e) => e.label === "Epoch");
    const batchBars = progress.filter((e) => e.label === "Batch");
    expect(epochBar[0]).toMatchObject({ current: 0, total: 2 });
    expect(epochBar.at(-1)).toMatchObject({ current: 2, total: 2, done: true });
    expect(new Set(epochBar.map((e) => e.id)).size).toBe(1);
    // Two batch bars (one per epoch), each nested under the epoch bar and closed at 250.
    const batchIds = [...new Set(batchBars.map((e) => e.id))];
    expect(batchIds).toHaveLength(2);
    for (const id of batchIds) {
      const bar = batchBars.filter((e) => e.id === id);
      expect(bar.every((e) => e.parent === epochBar[0]!.id)).toBe(true);
      expect(bar.at(-1)).toMatchObject({ current: 250, done: true });
      // Throttled to about one event per percent, not one per item.
      expect(bar.length).toBeLessThanOrEqual(102);
    }

    const metrics = events.filter((e) => e.type === "metric");
    expect(metrics).toHaveLength(10);
    expect(metrics[0]).toEqual({ type: "metric", values: { loss: 1, epoch: 0 }, step: 1 });
    expect(state.step).toBe(10);
  });

  it("closes a bar when the loop exits early", async () => {
    const events: TipiEvent[] = [];
    const pipeline = Pipeline.create().stage("partial", () => {
      for (const i of progressBar(["a", "b", "c", "d"], { label: "Items" })) if (i === "b") break;
      return {};
    });
    await pipeline.run(undefined, { onEvent: (e) => events.push(e) });
    const bar = events.filter((e): e is Progress => e.type === "progress");
    expect(bar.at(-1)).toMatchObject({ label: "Items", current: 1, total: 4, done: true });
  });

  it("fall back to standalone behaviour outside a run", async () => {
    const { written } = await captureTerminal(async () => {
      for (const _ of progressBar(3, { label: "Outside" })) {
        // iterate
      }
    });
    expect(written).toContain("Outside");
  });
});

async function* batchesOf(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}
