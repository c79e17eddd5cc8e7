import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type HyperbandTrial, hyperbandBands, hyperbandStop } from "../src/index.ts";

const DATA = join(
  import.meta.dirname,
  "../../../../shared/corpus/wandb-sweeps/data-hyper-data.yaml",
);

const trial = (id: string, running: boolean, history: number[]): HyperbandTrial => ({
  id,
  running,
  history,
});

describe("hyperband bands", () => {
  it("max_iter/eta^k for k = 1..s, truncated, ascending; stops below 1", () => {
    expect(hyperbandBands({ eta: 3, maxIter: 81, s: 3 })).toEqual([3, 9, 27]);
    expect(hyperbandBands({ eta: 3, maxIter: 18, s: 2 })).toEqual([2, 6]);
    expect(hyperbandBands({ eta: 2, maxIter: 5, s: 2 })).toEqual([1, 2]);
    expect(hyperbandBands({ eta: 3, maxIter: 5, s: 4 })).toEqual([1]);
  });

  it("min_iter·eta^k, truncated, for fractional eta too", () => {
    expect(hyperbandBands({ eta: 3, minIter: 3 }).slice(0, 3)).toEqual([3, 9, 27]);
    expect(hyperbandBands({ eta: 1.5, minIter: 30 }).slice(0, 4)).toEqual([30, 45, 67, 101]);
  });
});

describe("hyperband stopping on synthetic curves", () => {
  const opts = { bands: [1, 2], eta: 2, goal: "minimize" as const };
  // W&B's doctest curves (max_iter 5, eta 2, s 2 → bands 1 and 2).
  const runs = [
    trial("a", false, [10, 9]),
    trial("b", true, [10, 10]),
    trial("c", true, [10, 8, 8]),
    trial("d", true, [10, 7, 7]),
    trial("e", false, [10, 6, 6]),
  ];

  it("stops the running trial below the top 1/eta at its last band, never a finished one", () => {
    // Band 2 threshold: the values at iteration 2 are [6, 7, 8, 9, 10] → index ⌊5/2⌋ → 8.
    const decision = hyperbandStop(runs, { ...opts, strict: true });
    expect(decision.thresholds).toEqual([10, 8]);
    expect(decision.stop).toEqual(["b"]);
    // A finished trial as bad as b is left alone.
    expect(
      hyperbandStop([...runs, trial("f", false, [10, 10])], { ...opts, strict: true }).stop,
    ).toEqual(["b"]);
  });

  it("strict compares the value at the band; relaxed the best so far", () => {
    const late = [
      trial("x", true, [5, 9, 1]),
      trial("y", true, [5, 4, 4]),
      trial("z", true, [5, 3, 3]),
    ];
    // Band 2 values [9, 4, 3] → threshold 4: x is 9 at iteration 2 but reached 1 later.
    expect(hyperbandStop(late, { ...opts, strict: true }).stop).toEqual(["x"]);
    expect(hyperbandStop(late, { ...opts, strict: false }).stop).toEqual([]);
  });

  it("maximize mirrors minimize", () => {
    const negated = runs.map((r) =>
      trial(
        r.id,
        r.running,
        r.history.map((v) => -v),
      ),
    );
    expect(hyperbandStop(negated, { ...opts, strict: true, goal: "maximize" }).stop).toEqual(["b"]);
  });

  it("does nothing before the first band, or with a single trial", () => {
    expect(
      hyperbandStop([trial("a", true, [1]), trial("b", true, [9])], {
        ...opts,
        bands: [3],
        strict: true,
      }).stop,
    ).toEqual([]);
    expect(hyperbandStop([trial("a", true, [10, 10, 10])], { ...opts, strict: true }).stop).toEqual(
      [],
    );
  });
});

describe.runIf(existsSync(DATA))("hyperband on W&B's hyper-data (runs × 100 steps)", () => {
  const data = existsSync(DATA)
    ? (parse(readFileSync(DATA, "utf8")) as { data: { metric: number }[][] }).data.map((run) =>
        run.map((r) => r.metric),
      )
    : [];
  const bands = hyperbandBands({ eta: 1.5, minIter: 30 });

  /** Replays the sweep band by band, as W&B's extensive test does: only survivors go on. */
  function replay(strict: boolean, extra: number) {
    const stopped = new Set<number>();
    const perBand: { alive: number; stopped: number }[] = [];
    for (const band of bands.slice(0, 3)) {
      const alive = data.map((h, i) => ({ h, i })).filter(({ i }) => !stopped.has(i));
      const decision = hyperbandStop(
        alive.map(({ h, i }) => trial(String(i), true, h.slice(0, band + extra))),
        { bands, eta: 1.5, strict, goal: "maximize" },
      );
      for (const id of decision.stop) stopped.add(Number(id));
      perBand.push({ alive: alive.length, stopped: decision.stop.length });
    }
    return { perBand, total: stopped.size };
  }

  it("strict stops about 1 − 1/eta of the survivors at each band (W&B's own tolerance: ±1)", () => {
    const { perBand, total } = replay(true, 5);
    let expectedTotal = 0;
    for (const { alive, stopped } of perBand) {
      const expected = Math.trunc(alive * (1 - 1 / 1.5));
      expectedTotal += expected;
      expect(Math.abs(stopped - expected)).toBeLessThanOrEqual(1);
    }
    expect(Math.abs(total - expectedTotal)).toBeLessThanOrEqual(1);
  });

  it("relaxed (best so far) stops fewer, and only trials whose best is below the threshold", () => {
    const strict = replay(true, 2);
    const relaxed = replay(false, 2);
    expect(relaxed.total).toBeGreaterThan(0);
    expect(relaxed.total).toBeLessThan(strict.total);
    const cut = data.map((h, i) => trial(String(i), true, h.slice(0, 32)));
    const decision = hyperbandStop(cut, { bands, eta: 1.5, strict: false, goal: "maximize" });
    const threshold = -(decision.thresholds[0] as number);
    for (const id of decision.stop)
      expect(Math.max(...(cut[Number(id)]?.history ?? []))).toBeLessThan(threshold);
    for (const t of cut.filter((c) => !decision.stop.includes(c.id))) {
      expect(Math.max(...t.history)).toBeGreaterThanOrEqual(threshold);
    }
  });
});
