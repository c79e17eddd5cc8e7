// Regenerates the screenshots of docs/report.md from the browser tests: builds the CLI, then runs
// tests/report-browser.test.ts and tests/dashboard-browser.test.ts with TIPI_SCREENSHOTS set, so
// every image is a page the tests have just checked (charts drawn, numbers right, no errors).
//   node scripts/report-screenshots.mjs
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = fileURLToPath(new URL("../docs/images/", import.meta.url));
const run = (command, args, env = {}) => {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

run("pnpm", ["--filter", "@tipi/cli", "build"]);
run(
  "pnpm",
  ["exec", "vitest", "run", "tests/report-browser.test.ts", "tests/dashboard-browser.test.ts"],
  { TIPI_SCREENSHOTS: out },
);
console.log(`screenshots written to ${out}`);
