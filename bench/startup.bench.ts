/**
 * Cold start of the `tipi` binary, hyperfine-style: each command is spawned `--runs` times,
 * round-robin (so load changes hit every command alike), and reported as the median wall
 * time and its ratio to `node -e 0` measured in the same run.
 *
 *   pnpm tsx bench/startup.bench.ts [--runs 15]
 *
 * Goals (issue 4): `tipi --help` ≤ 200 ms, `tipi validate examples/fashion-mnist` ≤ 400 ms.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { printTable } from "./timing.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const bin = "packages/cli/bin/tipi.mjs";
const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
const runs = Number(values.runs);

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
}

const cases: Case[] = [
  { name: "node -e 0 (baseline)", args: ["-e", "0"] },
  { name: "tipi --help", args: [bin, "--help"] },
  {
    name: "tipi --help (sources, no bundle)",
    args: [bin, "--help"],
    env: { TIPI_FROM_SOURCE: "1" },
  },
  { name: "tipi validate <tiny fixture>", args: [bin, "validate", "tests/fixtures/cli/basic"] },
  {
    name: "tipi validate <tiny fixture> (tsx loader)",
    args: [bin, "validate", "tests/fixtures/cli/basic"],
    env: { TIPI_TS_LOADER: "tsx" },
  },
];
if (existsSync(`${repo}examples/fashion-mnist/pipeline.toml`)) {
  cases.push({
    name: "tipi validate examples/fashion-mnist",
    args: [bin, "validate", "examples/fashion-mnist"],
  });
}

function once(c: Case): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, c.args, {
    cwd: repo,
    env: { ...process.env, ...c.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${c.name} exited ${result.status}: ${result.stderr}`);
  return ms;
}

for (const c of cases) once(c); // warm the disk and the transpile cache
const times = new Map(cases.map((c) => [c.name, [] as number[]]));
for (let i = 0; i < runs; i++) for (const c of cases) times.get(c.name)!.push(once(c));

/** Mirrors bin/tipi.mjs: a stale bundle means every `tipi` row measured the sources. */
function bundleState(): string {
  const dir = `${repo}packages/cli/`;
  try {
    const built = statSync(`${dir}dist/main.mjs`).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(`${dir}dist/inputs.json`, "utf8")) as {
      inputs: string[];
    };
    const stale = inputs.filter((input) => statSync(`${dir}${input}`).mtimeMs > built);
    return stale.length === 0
      ? "fresh"
      : `STALE (${stale[0]} is newer; rows ran the sources: pnpm --filter @tipi/cli build)`;
  } catch {
    return "missing (rows ran the sources: pnpm --filter @tipi/cli build)";
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const baseline = median(times.get(cases[0]!.name)!);
console.log(`cold start, median of ${runs} spawns each; load average ${loadavg()[0]!.toFixed(1)}`);
console.log(`dist bundle: ${bundleState()}`);
printTable([
  ["command", "median ms", "min ms", "× node -e 0"],
  ...cases.map((c) => {
    const xs = times.get(c.name)!;
    return [c.name, median(xs), Math.min(...xs), median(xs) / baseline];
  }),
]);
