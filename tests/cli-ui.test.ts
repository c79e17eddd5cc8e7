// The renderers' model in-process: throughput, ETA, nesting, sparse plain lines, JSON lines.
import { describe, expect, test } from "vitest";
import { toJsonLine } from "../packages/cli/src/ui/json-renderer.ts";
import { PlainRenderer } from "../packages/cli/src/ui/plain-renderer.ts";
import { ProgressModel } from "../packages/cli/src/ui/progress-model.ts";

describe("ProgressModel", () => {
  test("throughput and ETA from a bar's own start", () => {
    let now = 1_000;
    const model = new ProgressModel(0, () => now);
    model.apply({ type: "progress", id: "b", label: "Batch", current: 10, total: 110 });
    now += 2_000;
    model.apply({ type: "progress", id: "b", label: "Batch", current: 60 });
    const bar = model.bars.get("b")!;
    expect(model.rate(bar)).toBe(25);
    expect(model.eta(bar)).toBe(2_000);
  });

  test("children follow their parents; a finished step's bars go away", () => {
    const model = new ProgressModel();
    model.apply({ type: "run:start", runId: "r", pipeline: "p", steps: ["train", "eval"] });
    model.apply({ type: "step:start", step: "train", index: 0, total: 2 });
    model.apply({
      type: "progress",
      id: "batch",
      parent: "epoch",
      label: "Batch",
      current: 1,
      total: 9,
    });
    model.apply({ type: "progress", id: "epoch", label: "Epoch", current: 0, total: 3 });
    expect(model.orderedBars().map(({ bar, depth }) => `${bar.label}@${depth}`)).toEqual([
      "Epoch@0",
      "Batch@1",
    ]);
    model.apply({ type: "step:end", step: "train/fit", index: 0, total: 1, durationMs: 4 });
    expect(model.stepsDone).toBe(0);
    model.apply({ type: "step:end", step: "train", index: 0, total: 2, durationMs: 5 });
    expect(model.bars.size).toBe(0);
    expect(model.stepsDone).toBe(1);
  });
});

describe("PlainRenderer", () => {
  test("10 000 progress events make at most one line per 10%", () => {
    const lines: string[] = [];
    const renderer = new PlainRenderer({
      write: (text) => lines.push(...text.trimEnd().split("\n")),
    });
    renderer.onEvent({ type: "run:start", runId: "r", pipeline: "p", steps: ["train"] });
    for (let i = 1; i <= 10_000; i++)
      renderer.onEvent({ type: "progress", id: "b", label: "Batch", current: i, total: 10_000 });
    renderer.onEvent({
      type: "progress",
      id: "b",
      label: "Batch",
      current: 10_000,
      total: 10_000,
      done: true,
    });
    expect(lines.filter((l) => l.includes("Batch"))).toHaveLength(10);
    expect(lines.at(-1)).toContain("Batch 10000/10000 (100%)");
  });
});

test("JSON lines survive BigInts, Errors and cycles", () => {
  const cyclic: Record<string, unknown> = { n: 10n ** 20n, small: 5n, error: new Error("x") };
  cyclic.self = cyclic;
  expect(JSON.parse(toJsonLine(cyclic))).toEqual({
    n: "100000000000000000000",
    small: 5,
    error: { name: "Error", message: "x" },
    self: "[circular]",
  });
});
