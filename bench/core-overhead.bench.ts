/**
 * Per-step overhead of the @tipi/core executor for every step kind, against a plain async
 * function chain measured in the same run.
 *
 *   pnpm tsx bench/core-overhead.bench.ts [--time 150] [--rounds 5]
 *
 * Kinds: `stage`, `io` (bare, with a timeout, with retries, with both), `through` (a
 * Standard Schema that accepts everything) and a `stage` under a pass-through `guard`; each
 * bare and with the CLI's options (`signal` + `onEvent`). Every step is `async (n) => n + 1`
 * (a `through` validates instead).
 *
 * Each case runs as pipelines of 8, 16, 32 and 64 steps. The per-step figure is the slope
 * of a least-squares line through the medians of those four lengths, so fixed per-run costs
 * (creating the run, its events, the result) drop out, and a median of many samples is used
 * rather than a minimum. Rounds are interleaved; the reported slope is the median of the
 * rounds' slopes, with their spread (max-min over median) to show how well it reproduces.
 * min / median / p95 are per run of the 64-step pipeline, in µs. Goal: every kind ≤ 1 µs per
 * step over the plain chain, with signal + onEvent.
 */
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import {
  type AnyPipeline,
  type Guard,
  Pipeline,
  type RunOptions,
  type StandardSchemaV1,
} from "../packages/core/src/index.ts";

const { values } = parseArgs({
  options: {
    time: { type: "string", default: "150" },
    rounds: { type: "string", default: "5" },
  },
});
const time = Number(values.time);
const rounds = Number(values.rounds);
const LENGTHS = [8, 16, 32, 64] as const;
const LONGEST = LENGTHS[LENGTHS.length - 1]!;

const step = async (n: number) => n + 1;

/** A Standard Schema that accepts every value as it is (measures the executor, not zod). */
const anything: StandardSchemaV1<unknown, unknown> = {
  "~standard": { version: 1, vendor: "bench", validate: (value) => ({ value }) },
};
const passThrough: Guard = (next) => (state, ctx) => next(state, ctx);

type Kind = (typeof KINDS)[number];
const KINDS = [
  "stage",
  "io",
  "io timeout",
  "io retries",
  "io timeout+retries",
  "through",
  "guarded stage",
] as const;

function pipeline(kind: Kind, length: number): AnyPipeline {
  let p = Pipeline.create<number>({ name: "bench" }) as unknown as AnyPipeline;
  if (kind === "guarded stage") p = p.guard(passThrough);
  for (let i = 0; i < length; i++) {
    const name = `s${i}`;
    switch (kind) {
      case "stage":
      case "guarded stage":
        p = p.stage(name, step as (s: unknown) => Promise<number>);
        break;
      case "io":
        p = p.io(name, step as (s: unknown) => Promise<number>);
        break;
      case "io timeout":
        p = p.io(name, step as (s: unknown) => Promise<number>, { timeout: "5s" });
        break;
      case "io retries":
        p = p.io(name, step as (s: unknown) => Promise<number>, { retries: 2 });
        break;
      case "io timeout+retries":
        p = p.io(name, step as (s: unknown) => Promise<number>, { timeout: "5s", retries: 2 });
        break;
      case "through":
        p = p.through(anything, { name });
        break;
    }
  }
  return p;
}

function plainChain(length: number): (n: number) => Promise<number> {
  const fns = Array.from({ length }, () => step);
  return async (n) => {
    let s = n;
    for (const f of fns) s = await f(s);
    return s;
  };
}

interface Case {
  readonly name: string;
  readonly kind: Kind | "plain";
  readonly options: "bare" | "signal+onEvent" | "-";
  readonly length: number;
  readonly fn: () => Promise<void>;
}

const controller = new AbortController();
let events = 0;
const cli: RunOptions = { signal: controller.signal, onEvent: () => void events++ };

const cases: Case[] = [];
for (const length of LENGTHS) {
  const plain = plainChain(length);
  cases.push({
    name: `plain ×${length}`,
    kind: "plain",
    options: "-",
    length,
    fn: async () => {
      if ((await plain(0)) !== length) throw new Error("plain: wrong result");
    },
  });
  for (const kind of KINDS) {
    const p = pipeline(kind, length);
    const expected = kind === "through" ? 0 : length;
    for (const options of ["bare", "signal+onEvent"] as const) {
      const runOptions = options === "bare" ? {} : cli;
      cases.push({
        name: `${kind} ${options} ×${length}`,
        kind,
        options,
        length,
        fn: async () => {
          const r = await p.run(0, runOptions);
          if (r.isErr() || r.value !== expected) throw new Error(`${kind}: wrong result`);
        },
      });
    }
  }
}

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Per round: the median ns per run of every case; for the longest: min/median/p95. */
const medians = new Map<string, number[]>();
const spread = new Map<string, { min: number; p50: number; p95: number }>();
for (let round = 0; round < rounds; round++) {
  const bench = new Bench({ time, warmupTime: 50, retainSamples: true });
  // Interleave: a different order each round, so slow phases of the machine spread out.
  const order = round % 2 === 0 ? cases : [...cases].reverse();
  for (const c of order) bench.add(c.name, c.fn);
  await bench.run();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== "completed") throw new Error(`${task.name}: ${r.state}`);
    const list = medians.get(task.name) ?? [];
    list.push(r.latency.p50 * 1e6);
    medians.set(task.name, list);
    if (task.name.endsWith(`×${LONGEST}`)) {
      const prev = spread.get(task.name);
      const sorted = r.latency.samples ?? [];
      const p95 = sorted[Math.floor(0.95 * (sorted.length - 1))] ?? r.latency.p99;
      const now = { min: r.latency.min * 1e6, p50: r.latency.p50 * 1e6, p95: p95 * 1e6 };
      if (prev === undefined || now.p50 < prev.p50) spread.set(task.name, now);
    }
  }
}

/** The per-step slope of a case family (`plain`, `stage bare`, …) in each round. */
function slopes(family: string): number[] {
  return Array.from({ length: rounds }, (_, round) =>
    slope(
      [...LENGTHS],
      LENGTHS.map((length) => medians.get(`${family} ×${length}`)![round]!),
    ),
  );
}

const plainSlopes = slopes("plain");
const plainSlope = median(plainSlopes);
console.log(
  `core overhead: ${rounds} interleaved rounds × ${time} ms per case, lengths ${LENGTHS.join("/")}, ` +
    `Node ${process.version}; ${events} events received`,
);
console.log(
  `plain async chain: ${plainSlope.toFixed(0)} ns/step (slope; rounds spread ±${spreadPct(plainSlopes)})`,
);
console.log(
  "kind                options           µs/run ×64: min / median / p95    ns/step   over plain   spread",
);
for (const kind of KINDS) {
  for (const options of ["bare", "signal+onEvent"] as const) {
    const family = `${kind} ${options}`;
    const own = slopes(family);
    // Overhead per round (same round's plain), then the median over rounds.
    const over = median(own.map((s, i) => s - plainSlopes[i]!));
    const s = spread.get(`${family} ×${LONGEST}`)!;
    console.log(
      `${kind.padEnd(19)} ${options.padEnd(17)} ${(s.min / 1000).toFixed(1).padStart(10)} / ${(s.p50 / 1000).toFixed(1).padStart(6)} / ${(s.p95 / 1000).toFixed(1).padStart(6)}` +
        `${median(own).toFixed(0).padStart(14)} ${`+${over.toFixed(0)}`.padStart(12)}   ±${spreadPct(own)}`,
    );
  }
}

/** Half the range of `xs` over their median, in percent. */
function spreadPct(xs: readonly number[]): string {
  const m = median(xs);
  return `${(((Math.max(...xs) - Math.min(...xs)) / 2 / m) * 100).toFixed(0)}%`;
}
