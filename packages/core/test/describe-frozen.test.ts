/**
 * `describe()` hands out the graph the executor runs, so it must be frozen all the way
 * down (issue 12, item 12): arrays, hook specs, retry policies and join implementations.
 * The DSL and `buildPipeline` build nodes with the same factories, so both are checked.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  buildPipeline,
  type Guard,
  Pipeline,
  type PipelineGraph,
  pipelineProcess,
  Registry,
} from "../src/index.ts";

/** Paths of the plain objects and arrays under `value` that are not frozen. */
function unfrozen(value: unknown, path = "graph", seen = new Set<unknown>()): string[] {
  if (typeof value !== "object" || value === null || seen.has(value)) return [];
  // The user's own objects (schemas, process instances) are theirs to freeze or not.
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return [];
  seen.add(value);
  const own = Object.isFrozen(value) ? [] : [path];
  return [...own, ...Object.entries(value).flatMap(([k, v]) => unfrozen(v, `${path}.${k}`, seen))];
}

const passThrough: Guard = (next) => (s, ctx) => next(s, ctx);

describe("describe()", () => {
  it("is frozen all the way down for a DSL pipeline", () => {
    const sub = Pipeline.create<{ n: number }>().stage("inner", (s) => s);
    const graph = Pipeline.create<{ n: number }>()
      .provide({ clock: () => ({ now: 1 }) })
      .guard(passThrough)
      .stage("a", (s) => s, { guards: [passThrough], checkpoint: true })
      .io("b", (s) => s, { timeout: "1s", retries: 2, backoff: { initial: "10ms", max: "1s" } })
      .through(z.object({ n: z.number() }), { name: "check", hooks: [() => {}] })
      .requireJoin("train")
      .provideJoin("train", sub)
      .describe();
    expect(unfrozen(graph)).toEqual([]);
  });

  it("is frozen all the way down for a config-built pipeline", () => {
    const registry = new Registry()
      .registerPermanence("Clock", class Clock {})
      .registerProcess(
        pipelineProcess({ name: "Double", params: z.object({ k: z.number() }) }, () => 2),
      );
    const built = buildPipeline(
      {
        permanences: { clock: { type: "Clock" } },
        processes: { double: { type: "Double", k: 1 }, fit: { join: "train" } },
      },
      registry,
    );
    expect(unfrozen(built._unsafeUnwrap().describe())).toEqual([]);
  });

  it("refuses changes that would alter how the pipeline runs", () => {
    const p = Pipeline.create<number>()
      .io("a", (n) => n + 1, { retries: 1 })
      .through(z.number(), { hooks: [() => {}] });
    const graph: PipelineGraph = p.describe();
    const [io, through] = graph.steps;
    if (io?.kind !== "io" || through?.kind !== "through") throw new Error("unexpected graph");
    expect(() => (io.guards as Guard[]).push(passThrough)).toThrow(TypeError);
    expect(() => {
      (io.retry as { retries: number }).retries = 100;
    }).toThrow(TypeError);
    expect(() => {
      (through.hooks[0] as { fatal: boolean }).fatal = true;
    }).toThrow(TypeError);
    expect(() => (graph.steps as unknown[]).pop()).toThrow(TypeError);
  });
});
