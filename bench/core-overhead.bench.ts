/**
 * Per-step overhead of the @tipi/core executor against the same steps as a plain async
 * function chain and as a neverthrow `andThen` chain.
 *
 *   pnpm tsx bench/core-overhead.bench.ts [--time 1000] [--rounds 3]
 *
 * Every step is `async (n) => n + 1`. Figures are ns per step (total time / steps), and
 * the overhead over the plain chain, all measured in the same run (the machine is shared:
 * compare ratios, not absolute numbers). Goal: ≤ 1 µs/step over the plain chain.
 */
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import {
  okAsync,
  Pipeline,
  type PipelineLike,
  type ResultAsync,
  type SetDef,
  type StepSlot,
} from "../packages/core/src/index.ts";

const { values } = parseArgs({
  options: { time: { type: "string", default: "1000" }, rounds: { type: "string" } },
});
const time = Number(values.time);

type Step = (n: number) => Promise<number>;
const step: Step = async (n) => n + 1;

function plainChain(steps: number): (n: number) => Promise<number> {
  const fns: Step[] = Array.from({ length: steps }, () => step);
  return async (n) => {
    let s = n;
    for (const f of fns) s = await f(s);
    return s;
  };
}

function neverthrowChain(steps: number): (n: number) => ResultAsync<number, never> {
  const fn = (n: number) => okAsync<number, never>(n + 1);
  return (n) => {
    let r = okAsync<number, never>(n);
    for (let i = 0; i < steps; i++) r = r.andThen(fn);
    return r;
  };
}

/** A def whose step names are not known statically (built in a loop). */
type LoopDef = SetDef<SetDef<inferDef<typeof loopStart>, "steps", StepSlot>, "names", string>;
const loopStart = Pipeline.create<number>({ name: "bench" });
type inferDef<P extends PipelineLike> = P["~def"];

function pipeline(steps: number) {
  let p: Pipeline<LoopDef> = loopStart.stage("step0", step);
  for (let i = 1; i < steps; i++) p = p.stage(`step${i}`, step);
  return p;
}

async function expect(value: Promise<number> | ResultAsync<number, unknown>, steps: number) {
  const v = await value;
  const n = typeof v === "number" ? v : v._unsafeUnwrap();
  if (n !== steps) throw new Error(`wrong result ${n}`);
}

const { rounds: roundsArg } = parseArgs({
  options: { rounds: { type: "string", default: "3" }, time: { type: "string" } },
}).values;
const rounds = Number(roundsArg);
const cases: [string, number][] = [];
const tasks: [string, () => Promise<void>][] = [];
for (const steps of [20, 40]) {
  const plain = plainChain(steps);
  const nt = neverthrowChain(steps);
  const p = pipeline(steps);
  const controller = new AbortController();
  const listener = () => {};
  tasks.push(
    [`plain async chain ×${steps}`, () => expect(plain(0), steps)],
    [`neverthrow andThen ×${steps}`, () => expect(nt(0), steps)],
    [`tipi pipeline ×${steps}`, () => expect(p.run(0), steps)],
    [`tipi + onEvent ×${steps}`, () => expect(p.run(0, { onEvent: listener }), steps)],
    [`tipi + signal ×${steps}`, () => expect(p.run(0, { signal: controller.signal }), steps)],
  );
  for (const [name] of tasks.slice(-5)) cases.push([name, steps]);
}

// The machine is shared: run every case in several interleaved rounds and keep each
// case's best median, the figure least disturbed by other processes.
const nsPerRun = new Map<string, number>();
for (let round = 0; round < rounds; round++) {
  const bench = new Bench({ time, warmupTime: 100 });
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== "completed") throw new Error(`${task.name}: ${r.state}`);
    const ns = r.latency.p50 * 1e6;
    nsPerRun.set(task.name, Math.min(ns, nsPerRun.get(task.name) ?? Number.POSITIVE_INFINITY));
  }
}

console.log(
  `per-step cost: best median of ${rounds} rounds × ${time} ms per case, Node ${process.version}`,
);
console.log("case                         ns/run     ns/step   over plain ns/step   × plain");
for (const [name, steps] of cases) {
  const ns = nsPerRun.get(name)!;
  const plain = nsPerRun.get(`plain async chain ×${steps}`)!;
  console.log(
    `${name.padEnd(28)} ${ns.toFixed(0).padStart(8)} ${(ns / steps).toFixed(0).padStart(10)} ${((ns - plain) / steps).toFixed(0).padStart(20)} ${(ns / plain).toFixed(2).padStart(9)}`,
  );
}
// The marginal cost of one more step (fixed per-run costs cancel out).
const marginal = (name: string) =>
  (nsPerRun.get(`${name} ×40`)! - nsPerRun.get(`${name} ×20`)!) / 20;
const plainMarginal = marginal("plain async chain");
for (const name of ["neverthrow andThen", "tipi pipeline", "tipi + onEvent", "tipi + signal"]) {
  console.log(
    `marginal ${name.padEnd(20)} ${marginal(name).toFixed(0).padStart(6)} ns/step (plain ${plainMarginal.toFixed(0)}; +${(marginal(name) - plainMarginal).toFixed(0)})`,
  );
}
