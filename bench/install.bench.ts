/**
 * tipi as a user installs it: publishes every package to a local registry (verdaccio, as the
 * consumer test does), runs `npm install tipi` in a temporary folder, and reports
 *   - the install's size and package count;
 *   - cold start of the installed CLI (`tipi --help`, `tipi validate`, through node_modules/.bin
 *     and through npx) against `node -e 0` and against the checkout's `packages/cli/dist/bin.js`
 *     and `pnpm tipi` (the repository's documented way),
 *     round-robin, median of `--runs` spawns each, as ratios measured in the same run.
 *
 *   pnpm build && pnpm tsx bench/install.bench.ts [--runs 15]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startRegistryWithTipi } from "../tests/fixtures/registry/registry.ts";
import { printTable } from "./timing.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
const runs = Number(values.runs);

const work = mkdtempSync(join(tmpdir(), "tipi-install-bench-"));
const app = join(work, "app");
const registry = await startRegistryWithTipi(work);
try {
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(
    join(app, "package.json"),
    '{ "name": "app", "private": true, "type": "module" }\n',
  );
  execFileSync("npm", ["install", "tipi"], { cwd: app, env: registry.env, stdio: "ignore" });
  execFileSync("npx", ["tipi", "init", "example", "--example", "fashion-mnist"], {
    cwd: app,
    env: registry.env,
    stdio: "ignore",
  });

  const bytes = Number(
    execFileSync("du", ["-sb", join(app, "node_modules")], { encoding: "utf8" }).split("\t")[0],
  );
  const installed = execFileSync("npm", ["ls", "--all", "--parseable"], {
    cwd: app,
    env: registry.env,
    encoding: "utf8",
  })
    .split("\n")
    .filter((line) => line.includes("node_modules")).length;
  console.log(
    `npm install tipi: ${(bytes / 1024 / 1024).toFixed(0)} MB in node_modules, ${installed} packages (${readdirSync(join(app, "node_modules")).length} top-level entries)`,
  );

  interface Case {
    readonly name: string;
    readonly command: string;
    readonly args: readonly string[];
    readonly cwd: string;
  }
  const node = process.execPath;
  const installedBin = join(app, "node_modules/.bin/tipi");
  const checkoutBin = join(repo, "packages/cli/dist/bin.js");
  const toml = "example/pipeline.toml";
  const cases: Case[] = [
    { name: "node -e 0 (baseline)", command: node, args: ["-e", "0"], cwd: app },
    { name: "checkout: tipi --help", command: node, args: [checkoutBin, "--help"], cwd: app },
    {
      name: "checkout: pnpm tipi --help",
      command: "pnpm",
      args: ["-s", "tipi", "--help"],
      cwd: repo,
    },
    { name: "installed: tipi --help", command: installedBin, args: ["--help"], cwd: app },
    { name: "installed: npx tipi --help", command: "npx", args: ["tipi", "--help"], cwd: app },
    {
      name: "checkout: tipi validate",
      command: node,
      args: [checkoutBin, "validate", toml],
      cwd: app,
    },
    {
      name: "checkout: pnpm tipi validate",
      command: "pnpm",
      args: ["-s", "tipi", "validate", "examples/fashion-mnist/pipeline.toml"],
      cwd: repo,
    },
    { name: "installed: tipi validate", command: installedBin, args: ["validate", toml], cwd: app },
    {
      name: "installed: npx tipi validate",
      command: "npx",
      args: ["tipi", "validate", toml],
      cwd: app,
    },
  ];
  const once = (c: Case): number => {
    const start = performance.now();
    const result = spawnSync(c.command, c.args, { cwd: c.cwd, env: registry.env, stdio: "ignore" });
    if (result.status !== 0) throw new Error(`${c.name} exited ${result.status}`);
    return performance.now() - start;
  };
  for (const c of cases) once(c);
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (let i = 0; i < runs; i++) for (const c of cases) times.get(c.name)!.push(once(c));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const baseline = median(times.get(cases[0]!.name)!);
  console.log(
    `cold start, median of ${runs} spawns each; load average ${loadavg()[0]!.toFixed(1)}`,
  );
  printTable([
    ["command", "median ms", "min ms", "× node -e 0"],
    ...cases.map((c) => {
      const xs = times.get(c.name)!;
      return [c.name, median(xs), Math.min(...xs), median(xs) / baseline];
    }),
  ]);
} finally {
  registry.stop();
  rmSync(work, { recursive: true, force: true });
}
