// The wandb agent's rules for trials that keep failing, in `tipi agent`: flapping (3 failures in
// the agent's first 60 s; WANDB_AGENT_DISABLE_FLAPPING=true turns it off) and failing
// (WANDB_AGENT_MAX_INITIAL_FAILURES failures with at most one other ending). Real agents (the
// built CLI) and real `tipi run` trials that fail at once, against the fake W&B controller; then
// runAgent with node one-liners as trials for the counting rule.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { EarlyFailureWatch, earlyFailureRules, runAgent } from "../packages/wandb/src/index.ts";
import { type FakeWandbServer, startFakeWandbServer } from "../packages/wandb/src/testing/index.ts";
import { tipi } from "./fixtures/cli/run-tipi.ts";

const KEY = "flappingkey".repeat(4);
/** Without a W&B logger; `--nosuch=…` makes its `tipi run` exit 2 at once (unknown key). */
const LOCAL = "tests/fixtures/agent/local.toml";
const scratch = mkdtempSync(join(tmpdir(), "tipi-agent-flapping-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const envFor = (server: FakeWandbServer, extra: Record<string, string> = {}) => ({
  WANDB_API_KEY: KEY,
  WANDB_BASE_URL: server.url,
  TIPI_AGENT_HEARTBEAT_MS: "100",
  TIPI_AGENT_MAX_BACKOFF_MS: "1000",
  WANDB_AGENT_DISABLE_FLAPPING: "",
  WANDB_AGENT_MAX_INITIAL_FAILURES: "",
  ...extra,
});

/** A grid sweep whose every trial fails: `nosuch` is no key of the pipeline. */
const failingSweep = (server: FakeWandbServer, points: number) =>
  server.controller.createSweep(
    [
      "method: grid",
      `program: ${LOCAL}`,
      "parameters:",
      "  nosuch:",
      `    values: [${Array.from({ length: points }, (_, i) => i + 1).join(", ")}]`,
    ].join("\n"),
    "flapping",
  );

describe("tipi agent stops when trials keep failing", () => {
  test("3 trials failing in the first 60 s stop it: exit 1, the last log named, the runs failed on the server", async () => {
    const server = await startFakeWandbServer({ apiKey: KEY });
    try {
      const sweep = failingSweep(server, 6);
      const runs = join(scratch, "flapping");
      const started = Date.now();
      const r = await tipi(["agent", `tipi-test/flapping/${sweep.name}`, "--runs", runs], {
        env: envFor(server),
      });
      const output = r.stdout + r.stderr;
      expect(r.code, output).toBe(1);
      expect(Date.now() - started).toBeLessThan(15_000);
      // Three trials ran, no fourth was started.
      expect(sweep.runs, output).toHaveLength(3);
      server.controller.refresh();
      expect(sweep.runs.map((run) => [run.state, run.exitcode])).toEqual(
        Array(3).fill(["failed", 2]),
      );
      const last = sweep.runs[2]!.name;
      const log = join(runs, "sweeps", `wandb-${sweep.name}`, `${last}.log`);
      expect(readFileSync(log, "utf8")).toMatch(/unknown key/);
      expect(r.stderr).toContain(
        "tipi agent: 3 trials failed within the agent's first 60 s: stopping\n",
      );
      expect(r.stderr).toContain(`\n  the last: run ${last} (exit code 2: command line:`);
      expect(r.stderr).toContain(
        `unknown key | 1 problem found; nothing ran.)\n  its log: ${log}\n`,
      );
      expect(r.stderr).toContain("\nSet WANDB_AGENT_DISABLE_FLAPPING=true to keep going.\n");
      expect(r.stdout).toMatch(/3 trial\(s\) of tipi-test\/flapping\/\w+ \(flapping\):/);
    } finally {
      await server.close();
    }
  });

  test("WANDB_AGENT_DISABLE_FLAPPING=true: it goes on to the end of the sweep (exit 0)", async () => {
    const server = await startFakeWandbServer({ apiKey: KEY });
    try {
      const sweep = failingSweep(server, 4);
      const r = await tipi(
        ["agent", `tipi-test/flapping/${sweep.name}`, "--runs", join(scratch, "disabled")],
        { env: envFor(server, { WANDB_AGENT_DISABLE_FLAPPING: "true" }) },
      );
      const output = r.stdout + r.stderr;
      expect(r.code, output).toBe(0);
      // 4 failures, fewer than WANDB_AGENT_MAX_INITIAL_FAILURES' default 5: every point ran.
      expect(sweep.runs.map((run) => run.state)).toEqual(Array(4).fill("failed"));
      expect(sweep.state).toBe("FINISHED");
      expect(r.stderr).not.toMatch(/stopping/);
      expect(r.stdout).toMatch(/4 trial\(s\) of .* \(exit\):/);
    } finally {
      await server.close();
    }
  });

  test("WANDB_AGENT_MAX_INITIAL_FAILURES=2 with flapping off stops after 2; a bad value is exit 2", async () => {
    const server = await startFakeWandbServer({ apiKey: KEY });
    try {
      const sweep = failingSweep(server, 4);
      const path = `tipi-test/flapping/${sweep.name}`;
      const r = await tipi(["agent", path, "--runs", join(scratch, "max")], {
        env: envFor(server, {
          WANDB_AGENT_DISABLE_FLAPPING: "true",
          WANDB_AGENT_MAX_INITIAL_FAILURES: "2",
        }),
      });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(sweep.runs).toHaveLength(2);
      expect(r.stderr).toContain(
        "tipi agent: 2 trials failed and none ended otherwise (WANDB_AGENT_MAX_INITIAL_FAILURES=2): stopping\n",
      );
      expect(r.stderr).toContain("Set WANDB_AGENT_MAX_INITIAL_FAILURES higher to allow more.");

      const bad = await tipi(["agent", path, "--runs", join(scratch, "bad")], {
        env: envFor(server, { WANDB_AGENT_MAX_INITIAL_FAILURES: "five" }),
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(
        'WANDB_AGENT_MAX_INITIAL_FAILURES must be a whole number of trials, got "five"',
      );
      expect(sweep.runs).toHaveLength(2);
    } finally {
      await server.close();
    }
  });
});

describe("the counting rule, as wandb_agent.py counts", () => {
  /** A trial that finishes when its `quality` is listed in `ok`, else exits 3 at once. */
  const trial = (ok: readonly number[]) => (argv: readonly string[]) => {
    const quality = Number(
      /^--quality=(\d+)$/.exec(argv.find((a) => a.startsWith("--quality=")) ?? "")?.[1],
    );
    const code = ok.includes(quality) ? 0 : 3;
    return {
      command: process.execPath,
      args: ["-e", `process.stderr.write("quality ${quality}\\n"); process.exit(${code})`],
    };
  };

  async function agentOver(ok: readonly number[], maxInitialFailures: number) {
    const server = await startFakeWandbServer({ apiKey: KEY });
    try {
      const sweep = server.controller.createSweep(
        "method: grid\nprogram: fake\nparameters:\n  quality:\n    values: [1, 2, 3, 4, 5, 6]\n",
        "counting",
      );
      const outcome = await runAgent({
        sweep: `tipi-test/counting/${sweep.name}`,
        apiKey: KEY,
        baseUrl: server.url,
        runsDir: mkdtempSync(join(scratch, "counting-")),
        heartbeatMs: 50,
        launch: trial(ok),
        earlyFailures: { flapping: false, maxInitialFailures },
      });
      server.controller.refresh();
      return { outcome, states: sweep.runs.map((r) => r.state) };
    } finally {
      await server.close();
    }
  }

  test("one success does not reset the count; two do", async () => {
    const one = await agentOver([1], 3);
    expect(one.outcome.reason).toBe("failing");
    expect(one.outcome.trials.map((t) => t.status)).toEqual([
      "finished",
      "failed",
      "failed",
      "failed",
    ]);
    expect(one.outcome.message).toMatch(
      /^3 trials failed and only 1 ended otherwise \(WANDB_AGENT_MAX_INITIAL_FAILURES=3\): stopping\n {2}the last: run \w+ \(exit code 3: quality 4\)\n {2}its log: .*\.log\nSet WANDB_AGENT_MAX_INITIAL_FAILURES higher to allow more\.$/,
    );
    // The agent's trials were reported before it stopped.
    expect(one.states).toEqual(["finished", "failed", "failed", "failed"]);

    const two = await agentOver([1, 2], 3);
    expect(two.outcome.reason).toBe("exit");
    expect(two.outcome.message).toBeUndefined();
    expect(two.states).toEqual(["finished", "finished", ...Array(4).fill("failed")]);
  });

  test("the environment's rules, and the flapping window", () => {
    expect(earlyFailureRules({})).toEqual({
      flapping: true,
      flappingFailures: 3,
      flappingWindowMs: 60_000,
      maxInitialFailures: 5,
    });
    const env = { WANDB_AGENT_DISABLE_FLAPPING: "true", WANDB_AGENT_MAX_INITIAL_FAILURES: " 8 " };
    expect(earlyFailureRules(env)).toMatchObject({ flapping: false, maxInitialFailures: 8 });
    // Only `true` turns it off, as in the wandb agent.
    expect(earlyFailureRules({ WANDB_AGENT_DISABLE_FLAPPING: "1" }).flapping).toBe(true);
    expect(() => earlyFailureRules({ WANDB_AGENT_MAX_INITIAL_FAILURES: "-1" })).toThrow(
      /whole number/,
    );
    // Failures after the agent's first 60 s are not flapping (the failing rule still counts).
    const watch = new EarlyFailureWatch(earlyFailureRules({}), 0);
    expect([
      watch.ended(true, 59_000),
      watch.ended(true, 61_000),
      watch.ended(true, 62_000),
    ]).toEqual([undefined, undefined, undefined]);
    expect([watch.ended(true, 63_000), watch.ended(true, 64_000)]).toEqual([undefined, "failing"]);
    const early = new EarlyFailureWatch(earlyFailureRules({}), 0);
    expect([
      early.ended(true, 1),
      early.ended(false, 2),
      early.ended(true, 3),
      early.ended(true, 4),
    ]).toEqual([undefined, undefined, undefined, "flapping"]);
  });
});
