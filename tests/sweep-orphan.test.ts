// A trial does not outlive its `tipi sweep`: SIGKILL of the controller alone ends its running
// trial as Ctrl-C would (parent-watch.ts, loaded with `node --import`), through the built CLI.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { BIN, REPO } from "./fixtures/cli/run-tipi.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-sweep-orphan-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

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
    expect(alive(trialPid)).toBe(true);

    controller.kill("SIGKILL");
    const ms = await until("the orphaned trial exits", () => !alive(trialPid!), 5000);
    expect(ms).toBeLessThan(5000);
    expect(status().status).toBe("interrupted");
    expect(readFileSync(join(sweepDir, "trials", "trial-0001.log"), "utf8")).toMatch(
      /interrupted; cleanup done/,
    );
  } finally {
    controller.kill("SIGKILL");
    if (trialPid !== undefined && alive(trialPid)) process.kill(trialPid, "SIGKILL");
  }
}, 20_000);
