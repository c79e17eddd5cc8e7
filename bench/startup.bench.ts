/**
 * Cold start of the built `tipi` binary (packages/cli/dist/bin.js), hyperfine-style: each
 * command is spawned `--runs` times, round-robin (so load changes hit every command alike),
 * and reported as the median wall time and its ratio to `node -e 0` measured in the same run.
 *
 *   pnpm build && pnpm tsx bench/startup.bench.ts [--runs 15]
 *
 * Goals (issue 4): `tipi --help` ≤ 200 ms, `tipi validate examples/fashion-mnist` ≤ 400 ms.
 * The start-up of an installed package (`npx tipi`) is measured by the consumer test's bench.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { printTable } from "./timing.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const bin = "packages/cli/dist/bin.js";
const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
const runs = Number(values.runs);

if (!existsSync(`${repo}${bin}`)) {
  console.error(`${bin} is missing: run pnpm build first`);
  process.exit(2);
}

interface Case {
  readonly name: string;
  readonly args: readonly string[];
}

const cases: Case[] = [
  { name: "node -e 0 (baseline)", args: ["-e", "0"] },
  { name: "tipi --help", args: [bin, "--help"] },
  {
    name: "tipi validate examples/fashion-mnist",
    args: [bin, "validate", "examples/fashion-mnist"],
  },
  {
    name: "tipi validate examples/fashion-mnist/pipeline.ts",
    args: [bin, "validate", "examples/fashion-mnist/pipeline.ts"],
  },
  // What the row above pays for besides tsx: pipeline.ts imports tipi, and tipi loads tfjs.
  {
    name: "node -e \"import('tipi')\"",
    args: ["--input-type=module", "-e", 'await import("tipi")'],
  },
];

function once(c: Case): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, c.args, {
    cwd: repo,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${c.name} exited ${result.status}: ${result.stderr}`);
  return ms;
}

for (const c of cases) once(c); // warm the disk cache
const times = new Map(cases.map((c) => [c.name, [] as number[]]));
for (let i = 0; i < runs; i++) for (const c of cases) times.get(c.name)!.push(once(c));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const baseline = median(times.get(cases[0]!.name)!);
console.log(`cold start, median of ${runs} spawns each; load average ${loadavg()[0]!.toFixed(1)}`);
printTable([
  ["command", "median ms", "min ms", "× node -e 0"],
  ...cases.map((c) => {
    const xs = times.get(c.name)!;
    return [c.name, median(xs), Math.min(...xs), median(xs) / baseline];
  }),
]);
