// `tipi agent` against a W&B server on 127.0.0.1 that plays the sweep controller: real agents
// (the built CLI) in their own processes, each trial a real `tipi run` process.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { TIPI_DEFAULT_COMMAND } from "../packages/wandb/src/index.ts";
import { type FakeWandbServer, startFakeWandbServer } from "../packages/wandb/src/testing/index.ts";
import { expectExactlyOnce } from "../packages/wandb/test/wandb-helpers.ts";
import { BIN, REPO, tipi } from "./fixtures/cli/run-tipi.ts";

const KEY = "agentkey".repeat(5);
const PIPELINE = "tests/fixtures/agent/pipeline.toml";
/** Without a W&B logger: faster trials, uploaded by the agent when they end. */
const LOCAL = "tests/fixtures/agent/local.toml";
const HEARTBEAT_MS = 250;
const scratch = mkdtempSync(join(tmpdir(), "tipi-agent-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const envFor = (server: FakeWandbServer) => ({
  WANDB_API_KEY: KEY,
  WANDB_BASE_URL: server.url,
  WANDB_MODE: "online",
  TIPI_AGENT_HEARTBEAT_MS: String(HEARTBEAT_MS),
  TIPI_AGENT_MAX_BACKOFF_MS: "2000",
  WANDB_AGENT_KILL_DELAY: "5",
});

/** `tipi sweep --wandb`; returns the sweep path it prints. */
async function createSweep(server: FakeWandbServer, file: string): Promise<string> {
  const r = await tipi(["sweep", PIPELINE, file, "--wandb", "--project", "agent-tests"], {
    env: envFor(server),
  });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const path = /Run sweep agent with: tipi agent (\S+)/.exec(r.stdout)?.[1];
  expect(path).toMatch(/^tipi-test\/agent-tests\/[a-z0-9]{8}$/);
  return path as string;
}

interface Agent {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly done: Promise<number | null>;
}

/** Starts `tipi agent` in its own process group (so a test can kill it with its trials). */
function startAgent(server: FakeWandbServer, path: string, runs: string, extra: string[] = []) {
  const child = spawn(
    process.execPath,
    [BIN, "agent", path, "--runs", join(scratch, runs), ...extra],
    {
      cwd: REPO,
      env: { ...process.env, ...envFor(server), CI: "", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let text = "";
  child.stdout?.on("data", (c: Buffer) => {
    text += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    text += c.toString();
  });
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
  done.finally(() => clearTimeout(timer));
  return { child, output: () => text, done } satisfies Agent;
}

const runDirOf = (runs: string, sweepPath: string, run: string) =>
  join(scratch, runs, "sweeps", `wandb-${sweepPath.split("/").at(-1)}`, run);

/** Rows in a run directory's history.jsonl (0 before it exists). */
function historyRows(dir: string): number {
  try {
    return readFileSync(join(dir, "history.jsonl"), "utf8").trim().split("\n").filter(Boolean)
      .length;
  } catch {
    return 0;
  }
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;

describe("tipi agent", () => {
  test("a 6-point grid run by two agents in separate processes: each point exactly once", async () => {
    const server = await startFakeWandbServer({ apiKey: KEY });
    try {
      const path = await createSweep(server, "tests/fixtures/agent/grid.yaml");
      const sweep = server.controller.sweep();
      // The server got the file as YAML, with the program and tipi's command filled in.
      expect(sweep.config.program).toBe(PIPELINE);
      expect(sweep.config.command).toEqual([...TIPI_DEFAULT_COMMAND]);

      // Agent a runs the sweep's program (W&B logging streams each trial live); agent b runs the
      // same pipeline without a W&B logger, so the agent uploads each finished run directory.
      const a = startAgent(server, path, "a");
      const b = startAgent(server, path, "b", ["--pipeline", LOCAL]);
      const codes = await Promise.all([a.done, b.done]);
      expect(codes, a.output() + b.output()).toEqual([0, 0]);

      expect(sweep.state).toBe("FINISHED");
      expect(sweep.runs).toHaveLength(6);
      const points = sweep.runs.map((r) => `${r.params.lr}/${r.params.batch_size}`);
      expect(new Set(points).size).toBe(6);
      expect(sweep.runs.map((r) => r.state)).toEqual(Array(6).fill("finished"));
      expect(new Set(sweep.runs.map((r) => r.agentId)).size).toBe(2);
      for (const run of sweep.runs) {
        const runs = a.output().includes(`run ${run.name} started`) ? "a" : "b";
        const dir = runDirOf(runs, path, run.name);
        // The trial ran with the suggested parameters…
        const config = readJson<{
          permanences: { hyperparameters: { lr: number; batch_size: number } };
        }>(join(dir, "config.json"));
        expect(config.permanences.hyperparameters).toMatchObject(run.params);
        // …and its metrics reached the W&B run, attached to the sweep, exactly once.
        const remote = server.run(run.name);
        expect(remote.sweep).toBe(sweep.name);
        expect(remote.complete?.exitcode).toBe(0);
        expectExactlyOnce(server, dir, run.name);
        expect(remote.history.size).toBe(2);
      }
    } finally {
      await server.close();
    }
  });

  test("a stop command ends the running trial within one heartbeat", async () => {
    const server = await startFakeWandbServer({ apiKey: KEY });
    try {
      const path = await createSweep(server, "tests/fixtures/agent/slow.yaml");
      const sweep = server.controller.sweep();
      const agent = startAgent(server, path, "stop", ["--count", "1", "--pipeline", LOCAL]);
      await server.waitFor(() => sweep.runs.length === 1, 20_000);
      const run = sweep.runs[0]!;
      await server.waitFor(() => historyRows(runDirOf("stop", path, run.name)) >= 1, 20_000);
      const stoppedAt = Date.now();
      server.controller.stopRun(run.name);
      await server.waitFor(() => /run \S+ stopped/.test(agent.output()), 10_000);
      const took = Date.now() - stoppedAt;
      // One heartbeat to deliver the stop, then SIGTERM: the trial checkpoints and cleans up.
      expect(took).toBeLessThan(HEARTBEAT_MS + 2500);
      expect(await agent.done).toBe(0);
      server.controller.refresh();
      expect(run.state).toBe("stopped");
      const dir = runDirOf("stop", path, run.name);
      expect(readJson<{ status: string }>(join(dir, "status.json")).status).toBe("interrupted");
      // 20 epochs were asked for; the stop came well before.
      expect(server.run(run.name).history.size).toBeLessThan(20);
      expectExactlyOnce(server, dir, run.name);
    } finally {
      await server.close();
    }
  });

  test("an agent killed mid-trial leaves that run crashed; the other agent goes on", async () => {
    const server = await startFakeWandbServer({ apiKey: KEY, sweeps: { agentTimeoutMs: 1500 } });
    try {
      const path = await createSweep(server, "tests/fixtures/agent/crash.yaml");
      const sweep = server.controller.sweep();
      // Trials of ~2 s: 4 epochs × 2 batches × 250 ms.
      const a = startAgent(server, path, "killed", ["--pipeline", LOCAL]);
      await server.waitFor(() => sweep.runs.length === 1, 20_000);
      const victim = sweep.runs[0]!;
      const victimDir = runDirOf("killed", path, victim.name);
      await server.waitFor(() => historyRows(victimDir) >= 1, 20_000);
      const b = startAgent(server, path, "survivor", ["--pipeline", LOCAL]);
      // The machine dies: the agent and its trial, at once.
      process.kill(-(a.child.pid as number), "SIGKILL");
      await a.done;
      expect(await b.done, b.output()).toBe(0);
      server.controller.refresh();
      expect(victim.state).toBe("crashed");
      expect(server.runs.get(`tipi-test/agent-tests/${victim.name}`)?.complete).toBeUndefined();
      const others = sweep.runs.filter((r) => r !== victim);
      expect(others).toHaveLength(2);
      expect(others.map((r) => r.state)).toEqual(["finished", "finished"]);
      expect(sweep.state).toBe("FINISHED");
      // What the killed trial had written is still in its run directory, for `tipi sync`.
      expect(historyRows(victimDir)).toBeGreaterThanOrEqual(1);
      expect(historyRows(victimDir)).toBeLessThan(4);
    } finally {
      await server.close();
    }
  });

  test("a trial does not outlive its agent: SIGKILL of the agent alone ends it, Ctrl-C stops it", async () => {
    const server = await startFakeWandbServer({ apiKey: KEY });
    try {
      const path = await createSweep(server, "tests/fixtures/agent/slow.yaml");
      const sweep = server.controller.sweep();
      const status = (runs: string, run: string) => {
        try {
          return readJson<{ status: string }>(join(runDirOf(runs, path, run), "status.json"))
            .status;
        } catch {
          return undefined;
        }
      };
      // SIGKILL to the agent's process only: its trial notices and ends as on Ctrl-C.
      const a = startAgent(server, path, "orphan", ["--pipeline", LOCAL]);
      await server.waitFor(() => sweep.runs.length === 1, 20_000);
      const orphan = sweep.runs[0]!;
      await server.waitFor(() => historyRows(runDirOf("orphan", path, orphan.name)) >= 1, 20_000);
      a.child.kill("SIGKILL");
      await server.waitFor(() => status("orphan", orphan.name) === "interrupted", 5000);
      // Ctrl-C to an agent: its trial is stopped and reported, and the agent exits 130.
      const b = startAgent(server, path, "ctrl-c", ["--pipeline", LOCAL]);
      await server.waitFor(() => sweep.runs.length === 2, 20_000);
      const second = sweep.runs[1]!;
      await server.waitFor(() => historyRows(runDirOf("ctrl-c", path, second.name)) >= 1, 20_000);
      b.child.kill("SIGINT");
      expect(await b.done, b.output()).toBe(130);
      expect(b.output()).toMatch(new RegExp(`run ${second.name} interrupted`));
      expect(status("ctrl-c", second.name)).toBe("interrupted");
      server.controller.refresh();
      expect(second.state).toBe("failed");
      expect(server.run(second.name).complete?.exitcode).not.toBe(0);
    } finally {
      await server.close();
    }
  });

  test("W&B down, then answering 500: the agent retries with backoff and loses no finished trial's metrics", async () => {
    // W&B marks a run crashed only after minutes without a heartbeat.
    const server = await startFakeWandbServer({ apiKey: KEY, sweeps: { agentTimeoutMs: 60_000 } });
    try {
      const path = await createSweep(server, "tests/fixtures/agent/outage.yaml");
      const sweep = server.controller.sweep();
      const agent = startAgent(server, path, "outage", ["--count", "2", "--pipeline", LOCAL]);
      await server.waitFor(() => sweep.runs.length === 1, 20_000);
      const first = sweep.runs[0]!;
      await server.waitFor(() => historyRows(runDirOf("outage", path, first.name)) >= 1, 20_000);
      await server.setMode("down");
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await server.setMode("graphql-500");
      const since = server.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const answered500 = (): number =>
        server.requests.slice(since).filter((r) => r.operation === "Heartbeat" && r.status === 500)
          .length;
      await server.setMode("healthy");
      expect(await agent.done, agent.output()).toBe(0);

      // Backoff: heartbeats kept coming while W&B failed, further and further apart.
      expect(agent.output()).toMatch(/heartbeat failed .*next try in/);
      expect(answered500()).toBeGreaterThanOrEqual(1);
      const waits = [...agent.output().matchAll(/heartbeat failed .*next try in ([\d.]+) s/g)].map(
        (m) => Number(m[1]) * 1000,
      );
      expect(waits.length).toBeGreaterThanOrEqual(3);
      expect(waits[0]).toBe(HEARTBEAT_MS * 2);
      for (let i = 1; i < waits.length; i++)
        expect(waits[i]).toBe(Math.min(2000, (waits[i - 1] as number) * 2));
      // The trial that finished during the outage is on W&B now, every row exactly once.
      server.controller.refresh();
      expect(first.state).toBe("finished");
      const dir = runDirOf("outage", path, first.name);
      expectExactlyOnce(server, dir, first.name);
      expect(server.run(first.name).complete?.exitcode).toBe(0);
      expect(sweep.runs).toHaveLength(2);
    } finally {
      await server.close();
    }
  });
});
