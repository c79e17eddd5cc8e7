/**
 * Type-checking cost grows linearly with the number of steps (issue 12, item 11): each
 * step adds about as many type instantiations at 400 steps as at 100, a 400-step pipeline
 * type-checks without TS2589, and its hover stays short. Timing is left to
 * `bench/types-scale.ts`; instantiation counts are exact, so they can be asserted here.
 */
import { describe, expect, it } from "vitest";
import { typeCheckPipeline } from "./fixtures/type-check.ts";

describe("type-checking a long pipeline", () => {
  const runs = new Map<number, ReturnType<typeof typeCheckPipeline>>();
  const at = (n: number) => {
    const hit = runs.get(n);
    if (hit !== undefined) return hit;
    const figures = typeCheckPipeline(n);
    runs.set(n, figures);
    return figures;
  };

  it("checks 400 steps with no error (no TS2589)", () => {
    expect(at(400).errors).toEqual([]);
  });

  it("costs about the same per step at 400 steps as at 100 (linear, not quadratic)", () => {
    const first = (at(100).instantiations - at(10).instantiations) / 90;
    const last = (at(400).instantiations - at(100).instantiations) / 300;
    // Quadratic growth would make `last` about 5× `first`.
    expect(last / first).toBeLessThan(1.3);
    expect(last).toBeLessThan(400);
  });

  it("shows a short hover that starts with the state and the input", () => {
    const { hover, fullTypeChars } = at(400);
    expect(hover.length).toBeLessThan(400);
    expect(hover).toMatch(/^Pipeline<Def<\{ n400: number; \}, DefFixed<\{ n0: number; \}/);
    // Untruncated, each step adds its slot once (no repeated copies of earlier steps).
    expect(fullTypeChars / 400).toBeLessThan(100);
  });
}, 300_000);
