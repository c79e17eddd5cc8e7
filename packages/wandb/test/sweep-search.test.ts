import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createSearch,
  loadSweepConfig,
  type ParameterSpec,
  paramValue,
  parseSweepConfig,
  ppf,
  type SweepConfig,
  type TrialObservation,
  type TrialParams,
} from "../src/index.ts";

const CORPUS = join(import.meta.dirname, "../../../../shared/corpus/wandb-sweeps");

/** Runs a search to exhaustion (or `limit`), feeding back each suggestion as a finished trial. */
function drain(
  config: SweepConfig,
  seed: number,
  limit = 10_000,
  score?: (p: TrialParams) => number,
): TrialParams[] {
  const search = createSearch(config, { seed });
  const trials: TrialObservation[] = [];
  for (let i = 0; i < limit; i++) {
    const params = search.next(i, trials);
    if (!params) break;
    trials.push({ params, status: "finished", ...(score ? { metric: score(params) } : {}) });
  }
  return trials.map((t) => t.params);
}

const config = (raw: Record<string, unknown>) => parseSweepConfig(raw);

describe("grid search", () => {
  it("enumerates every combination once, parameters in sorted-name order, the last varying fastest", () => {
    const grid = config({
      method: "grid",
      parameters: {
        z_last: { values: ["x", "y"] },
        batch_size: { values: [32, 64] },
        optimizer: {
          parameters: {
            lr: { values: [0.1, 0.01] },
            nadam: { parameters: { beta: { values: [0.9] } } },
          },
        },
        epochs: { value: 3 },
      },
    });
    const expected: TrialParams[] = [];
    for (const batch_size of [32, 64])
      for (const lr of [0.1, 0.01])
        for (const z_last of ["x", "y"])
          expected.push({ batch_size, epochs: 3, optimizer: { lr, nadam: { beta: 0.9 } }, z_last });
    expect(drain(grid, 0)).toEqual(expected);
    expect(createSearch(grid, { seed: 0 }).size).toBe(8);
  });

  it("skips combinations already run (a resumed grid picks up where it stopped)", () => {
    const grid = config({ method: "grid", parameters: { a: { values: [1, 2, 3] } } });
    const search = createSearch(grid, { seed: 0 });
    expect(search.next(1, [{ params: { a: 1 }, status: "failed" }])).toEqual({ a: 2 });
    expect(
      search.next(3, [
        { params: { a: 1 }, status: "finished" },
        { params: { a: 2 }, status: "finished" },
        { params: { a: 3 }, status: "stopped" },
      ]),
    ).toBeUndefined();
  });

  describe.runIf(existsSync(CORPUS))("on W&B's own grid tests", () => {
    it("drops duplicate values, keeping first-seen order (anaconda order test)", async () => {
      const params = drain(
        await loadSweepConfig(join(CORPUS, "28-sweeps-test-grid-anaconda-order-duplicates.yaml")),
        0,
      );
      expect(params.map((p) => `${p.v1}${p.v2}`)).toEqual([
        "a1",
        "a2",
        "a3",
        "b1",
        "b2",
        "b3",
        "c1",
        "c2",
        "c3",
      ]);
    });

    it("expands int_uniform to min..max and q_uniform to numpy's arange(min, max, q)", async () => {
      const ints = drain(
        await loadSweepConfig(join(CORPUS, "29-sweeps-test-grid-int-uniform-bounded.yaml")),
        0,
      );
      expect(ints.map((p) => p.v1)).toEqual(Array.from({ length: 63 }, (_, i) => i - 52));
      const qs = drain(
        await loadSweepConfig(join(CORPUS, "30-sweeps-test-grid-q-uniform-bounded.yaml")),
        0,
      );
      expect(qs).toHaveLength(14);
      qs.forEach((p, i) => {
        expect(p.v1).toBeCloseTo(-9.211 + i * 2.341, 12);
        expect(p.v2).toBe("test");
      });
    });

    it("enumerates the examples grid (27 runs) and the fashion grid (540 runs)", async () => {
      const examples = drain(await loadSweepConfig(join(CORPUS, "01-examples-grid.yaml")), 0);
      expect(examples).toHaveLength(27);
      expect(examples.slice(0, 4).map((p) => [p.base, p.direction, p.increment])).toEqual([
        [10, -1, 0.1],
        [10, -1, 0.2],
        [10, -1, 0.3],
        [10, 0.1, 0.1],
      ]);
      const fashion = drain(
        await loadSweepConfig(join(CORPUS, "07-pytorch-fashion-grid-hyperband.yaml")),
        0,
      );
      expect(fashion).toHaveLength(540);
      expect(new Set(fashion.map((p) => JSON.stringify(p))).size).toBe(540);
    });
  });
});

describe("random search", () => {
  const space = config({
    method: "random",
    parameters: {
      lr: { distribution: "log_uniform_values", min: 1e-5, max: 1e-1 },
      layers: { min: 1, max: 8 },
      act: { values: ["relu", "gelu", "tanh"] },
      nested: { parameters: { dropout: { distribution: "q_uniform", min: 0, max: 0.5, q: 0.05 } } },
    },
  });

  it("is reproducible under a seed, and differs between seeds", () => {
    expect(drain(space, 7, 20)).toEqual(drain(space, 7, 20));
    expect(drain(space, 7, 20)).not.toEqual(drain(space, 8, 20));
  });

  it("makes suggestion i from (seed, i) alone, so a resumed sweep repeats it", () => {
    const search = createSearch(space, { seed: 7 });
    expect(search.next(5, [])).toEqual(drain(space, 7, 6)[5]);
  });

  it("samples categorical_w_probabilities in proportion and never a zero-probability value", () => {
    const weighted = config({
      method: "random",
      parameters: { a: { values: ["x", "y", "z"], probabilities: [0.7, 0.3, 0] } },
    });
    const draws = drain(weighted, 1, 2000).map((p) => p.a);
    const share = draws.filter((v) => v === "x").length / draws.length;
    expect(share).toBeGreaterThan(0.65);
    expect(share).toBeLessThan(0.75);
    expect(draws).not.toContain("z");
  });
});

describe("bayes search", () => {
  const space = config({
    method: "bayes",
    metric: { name: "loss", goal: "minimize" },
    parameters: {
      x: { min: -2.0, max: 2.0 },
      lr: { distribution: "log_uniform_values", min: 1e-5, max: 1 },
      width: { distribution: "int_uniform", min: 1, max: 64 },
    },
  });
  const objective = (p: TrialParams) =>
    ((p.x as number) - 0.7) ** 2 +
    (Math.log10(p.lr as number) + 2.5) ** 2 / 4 +
    (((p.width as number) - 40) / 32) ** 2;
  const bestOf = (params: TrialParams[]) => Math.min(...params.map(objective));

  it("is reproducible under a seed", () => {
    expect(drain(space, 3, 12, objective)).toEqual(drain(space, 3, 12, objective));
  });

  it("beats random search on a synthetic objective (fixed seeds, 25 trials each)", () => {
    const random = config({ ...space.raw, method: "random" });
    const seeds = [1, 2, 3, 4, 5, 6];
    const results = seeds.map((seed) => ({
      bayes: bestOf(drain(space, seed, 25, objective)),
      random: bestOf(drain(random, seed, 25, objective)),
    }));
    const wins = results.filter((r) => r.bayes < r.random).length;
    const mean = (k: "bayes" | "random") => results.reduce((a, r) => a + r[k], 0) / results.length;
    expect(wins).toBeGreaterThanOrEqual(5);
    expect(mean("bayes")).toBeLessThan(mean("random") / 2);
  });

  it("maximises when the goal says so", () => {
    const max = config({ ...space.raw, metric: { name: "score", goal: "maximize" } });
    const best = Math.max(...drain(max, 2, 25, (p) => -objective(p)).map((p) => -objective(p)));
    const worstCaseRandom = Math.max(
      ...drain(config({ ...space.raw, method: "random" }), 2, 25).map((p) => -objective(p)),
    );
    expect(best).toBeGreaterThan(worstCaseRandom);
  });
});

describe("distributions respect their bounds (property tests)", () => {
  const u = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
  const bounds = fc
    .tuple(
      fc.double({ min: -50, max: 50, noNaN: true }),
      fc.double({ min: 1e-3, max: 50, noNaN: true }),
    )
    .map(([min, span]) => ({ min, max: min + span }));
  const positiveBounds = fc
    .tuple(
      fc.double({ min: 1e-8, max: 1e3, noNaN: true }),
      fc.double({ min: 1.001, max: 1e4, noNaN: true }),
    )
    .map(([min, factor]) => ({ min, max: min * factor }));
  const q = fc.constantFrom(0.05, 0.1, 0.5, 1, 2, 10);
  const isMultiple = (value: number, step: number) =>
    Math.abs(value / step - Math.round(value / step)) < 1e-6;
  const value = (spec: ParameterSpec, at: number) => ppf(spec, at) as number;

  it("uniform, int_uniform, q_uniform", () => {
    fc.assert(
      fc.property(bounds, u, q, ({ min, max }, at, step) => {
        const x = value({ distribution: "uniform", min, max }, at);
        expect(x).toBeGreaterThanOrEqual(min);
        expect(x).toBeLessThanOrEqual(max);
        const lo = Math.ceil(min);
        const hi = lo + Math.max(Math.floor(max - min), 1);
        const i = value({ distribution: "int_uniform", min: lo, max: hi }, at);
        expect(Number.isInteger(i) && i >= lo && i <= hi).toBe(true);
        const qv = value(
          { distribution: "q_uniform", min, max, q: step, qIsInt: Number.isInteger(step) },
          at,
        );
        expect(isMultiple(qv, step)).toBe(true);
        expect(qv).toBeGreaterThanOrEqual(Math.round(min / step) * step - 1e-9);
        expect(qv).toBeLessThanOrEqual(Math.round(max / step) * step + 1e-9);
      }),
    );
  });

  it("log_uniform (natural-log bounds) and the _values variants", () => {
    fc.assert(
      fc.property(positiveBounds, u, ({ min, max }, at) => {
        const rel = 1 + 1e-12;
        for (const distribution of ["log_uniform_values", "inv_log_uniform_values"] as const) {
          const x = value({ distribution, min, max }, at);
          expect(x).toBeGreaterThanOrEqual(min / rel);
          expect(x).toBeLessThanOrEqual(max * rel);
        }
        const [lnMin, lnMax] = [Math.log(min), Math.log(max)];
        const x = value({ distribution: "log_uniform", min: lnMin, max: lnMax }, at);
        expect(x).toBeGreaterThanOrEqual(min / rel);
        expect(x).toBeLessThanOrEqual(max * rel);
        const inv = value({ distribution: "inv_log_uniform", min: lnMin, max: lnMax }, at);
        expect(inv).toBeGreaterThanOrEqual(Math.exp(-lnMax) / rel);
        expect(inv).toBeLessThanOrEqual(Math.exp(-lnMin) * rel);
        const qv = value(
          { distribution: "q_log_uniform_values", min, max, q: 1, qIsInt: true },
          at,
        );
        expect(Number.isInteger(qv)).toBe(true);
        expect(qv).toBeGreaterThanOrEqual(Math.round(min));
        expect(qv).toBeLessThanOrEqual(Math.round(max));
      }),
    );
  });

  it("beta and q_beta stay in [0, 1]; log_normal stays positive; q_normal is quantised", () => {
    const shape = fc.double({ min: 0.1, max: 20, noNaN: true });
    fc.assert(
      fc.property(shape, shape, u, q, (a, b, at, step) => {
        const x = value({ distribution: "beta", a, b }, at);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
        const qb = value({ distribution: "q_beta", a, b, q: 0.1, qIsInt: false }, at);
        expect(qb).toBeGreaterThanOrEqual(0);
        expect(qb).toBeLessThanOrEqual(1 + 1e-12);
        expect(
          value({ distribution: "log_normal", mu: a - 10, sigma: b / 4 }, at),
        ).toBeGreaterThanOrEqual(0);
        expect(
          isMultiple(
            value({ distribution: "q_normal", mu: a, sigma: b, q: step, qIsInt: false }, at),
            step,
          ),
        ).toBe(true);
      }),
    );
  });

  it("the normal quantile function matches known values", () => {
    expect(value({ distribution: "normal", mu: 0, sigma: 1 }, 0.975)).toBeCloseTo(1.959964, 5);
    expect(value({ distribution: "normal", mu: 4, sigma: 2 }, 0.5)).toBeCloseTo(4, 9);
    expect(value({ distribution: "beta", a: 2, b: 5 }, 0.5)).toBeCloseTo(0.26445, 4);
  });

  it("categorical draws only listed values", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 8 }), u, (values, at) => {
        expect(values).toContainEqual(ppf({ distribution: "categorical", values }, at));
      }),
    );
  });
});

describe.runIf(existsSync(CORPUS))(
  "random draws from every corpus config stay in their parameter space",
  () => {
    const inSpace = (spec: ParameterSpec, v: unknown): boolean => {
      const x = v as number;
      const rel = 1 + 1e-9;
      switch (spec.distribution) {
        case "constant":
          return JSON.stringify(v) === JSON.stringify(spec.value);
        case "categorical":
        case "categorical_w_probabilities":
          return spec.values.some((value) => JSON.stringify(value) === JSON.stringify(v));
        case "int_uniform":
          return Number.isInteger(x) && x >= spec.min && x <= spec.max;
        case "uniform":
          return x >= spec.min && x <= spec.max;
        case "q_uniform":
          return (
            x >= Math.round(spec.min / spec.q) * spec.q - 1e-9 &&
            x <= Math.round(spec.max / spec.q) * spec.q + 1e-9
          );
        case "log_uniform":
          return x >= Math.exp(spec.min) / rel && x <= Math.exp(spec.max) * rel;
        case "log_uniform_values":
        case "inv_log_uniform_values":
          return x >= spec.min / rel && x <= spec.max * rel;
        case "q_log_uniform_values":
          return (
            Number.isInteger(x) === spec.qIsInt &&
            x >= Math.round(spec.min) - spec.q &&
            x <= spec.max + spec.q
          );
        case "beta":
        case "q_beta":
          return x >= 0 && x <= 1 + 1e-12;
        case "log_normal":
        case "q_log_normal":
          return x >= 0;
        default:
          return Number.isFinite(x);
      }
    };
    const files = existsSync(CORPUS)
      ? readdirSync(CORPUS).filter((f) => /^\d.*\.yaml$/.test(f))
      : [];

    it.each(files)("%s", async (file) => {
      const loaded = await loadSweepConfig(join(CORPUS, file));
      const asRandom = parseSweepConfig({
        ...loaded.raw,
        method: "random",
        early_terminate: undefined,
      });
      for (const params of drain(asRandom, 9, 40)) {
        for (const p of loaded.parameters)
          expect(inSpace(p.spec, paramValue(params, p)), `${file} ${p.key}`).toBe(true);
      }
    });
  },
);
