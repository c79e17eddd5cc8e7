// A trial does not outlive its controller: SIGKILL of `tipi sweep` alone ends its running trial
// as Ctrl-C would (parent-watch.ts, loaded through NODE_OPTIONS), through the built CLI; and so
// for `runSweep` with a custom trialCommand, through the built @tipi/wandb.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProcessAlive } from "@tipi/wandb";
import { afterAll, expect, test } from "vitest";
import { BIN, REPO } from "./fixtures/cli/run-tipi.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-sweep-orphan-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - start;
}

test("SIGKILL of the sweep controller ends its running trial: exit within seconds, status interrupted", async () => {
  // One trial of ~10 s: 40 epochs × 250 ms.
  const sweepFile = join(scratch, "slow.yaml");
  writeFileSync(
    sweepFile,
    "method: grid\nparameters:\n  train.epochs:\n    value: 40\n  train.delay_ms:\n    value: 250\n  lr:\n    values: [0.1]\n",
  );
  const sweepDir = join(scratch, "sweep");
  const runDir = join(sweepDir, "trials", "trial-0001");
  const controller = spawn(
    process.execPath,
    [BIN, "sweep", "tests/fixtures/agent/local.toml", sweepFile, "--sweep-dir", sweepDir],
    {
      cwd: REPO,
      env: { ...process.env, CI: "", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  controller.stdout.on("data", collect);
  controller.stderr.on("data", collect);
  const status = () =>
    JSON.parse(readFileSync(join(runDir, "status.json"), "utf8")) as {
      status: string;
      pid: number;
    };
  let trialPid: number | undefined;
  try {
    // The trial has logged an epoch: it is running, under the controller.
    await until("the trial logs", () => existsSync(join(runDir, "history.jsonl")), 8000);
    expect(output).toContain("trial-0001 started");
    const running = status();
    expect(running.status).toBe("running");
    trialPid = running.pid;
    expect(isProcessAlive(trialPid)).toBe(true);

    controller.kill("SIGKILL");
    const ms = await until("the orphaned trial exits", () => !isProcessAlive(trialPid!), 5000);
    expect(ms).toBeLessThan(5000);
    expect(status().status).toBe("interrupted");
    expect(readFileSync(join(sweepDir, "trials", "trial-0001.log"), "utf8")).toMatch(
      /interrupted; cleanup done/,
    );
  } finally {
    controller.kill("SIGKILL");
    if (trialPid !== undefined && isProcessAlive(trialPid)) process.kill(trialPid, "SIGKILL");
  }
}, 20_000);

// A trial that records its pid, and on SIGTERM that it got it, then exits.
const TRIAL = `
  import { mkdirSync, writeFileSync } from "node:fs";
  import { join } from "node:path";
  const dir = process.env.TIPI_RUN_DIR;
  mkdirSync(dir, { recursive: true });
  process.on("SIGTERM", () => {
    writeFileSync(join(dir, "sigterm"), "");
    process.exit(0);
  });
  writeFileSync(join(dir, "pid"), String(process.pid));
  setInterval(() => {}, 1000);
`;

test.each([
  ["node started directly", (trial: string) => ({ command: process.execPath, args: [trial] })],
  [
    "node behind a shell",
    (trial: string) => ({ command: "sh", args: ["-c", `"${process.execPath}" "${trial}"; true`] }),
  ],
])(
  "runSweep with a custom trialCommand (%s): SIGKILL of the controller ends the trial with SIGTERM",
  async (name, command) => {
    const dir = mkdtempSync(join(scratch, "library-"));
    const trial = join(dir, "trial.mjs");
    writeFileSync(trial, TRIAL);
    const sweepDir = join(dir, "sweep");
    const runDir = join(sweepDir, "trials", "trial-0001");
    const script = `
    import { parseSweepConfig, runSweep } from "@tipi/wandb";
    await runSweep({
      pipeline: "custom",
      config: parseSweepConfig({ method: "grid", parameters: { lr: { value: 0.1 } } }),
      sweepDir: ${JSON.stringify(sweepDir)},
      trialCommand: () => (${JSON.stringify(command(trial))}),
    });`;
    const controller = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: REPO,
      stdio: ["ignore", "ignore", "inherit"],
    });
    let trialPid: number | undefined;
    try {
      await until(`the ${name} trial starts`, () => existsSync(join(runDir, "pid")), 8000);
      trialPid = Number(readFileSync(join(runDir, "pid"), "utf8"));
      expect(isProcessAlive(trialPid)).toBe(true);
      const exited = new Promise((resolve) => controller.once("exit", resolve));
      controller.kill("SIGKILL");
      await exited;
      await until("the orphaned trial exits", () => !isProcessAlive(trialPid!), 5000);
      expect(existsSync(join(runDir, "sigterm"))).toBe(true);
    } finally {
      controller.kill("SIGKILL");
      if (trialPid !== undefined && isProcessAlive(trialPid)) process.kill(trialPid, "SIGKILL");
    }
  },
  20_000,
);
