// biome-ignore-all lint/suspicious/noTemplateCurlyInString: W&B command macros are literal ${name} strings
// The agent's pieces against the fake W&B server: the sweep file as the server receives it, sweep
// paths, retries with backoff, and runAgent with a stand-in trial (no tipi run, no build needed).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  AgentApi,
  parseSweepConfigText,
  parseSweepPath,
  parseYaml11,
  runAgent,
  sweepForServer,
  WandbRequestError,
  withRetry,
} from "../src/index.ts";
import { startFakeWandbServer } from "../src/testing/index.ts";
import { STAND_IN_TRIAL } from "./fixtures/sweep/stand-in-trial.ts";
import { useTempDirs } from "./temp-dirs.ts";

const KEY = "protocolkey".repeat(4);
const tempDir = useTempDirs("tipi-agent-protocol-");

describe("the sweep file as the server receives it", () => {
  it("keeps floats floats (YAML 1.1-safe), fills in program and tipi's command", async () => {
    const file = join(tempDir(), "sweep.toml");
    writeFileSync(
      file,
      [
        'method = "random"',
        "run_cap = 3",
        "[parameters.lr]",
        "min = 1.0",
        "max = 10.0",
        "[parameters.decay]",
        'distribution = "log_uniform_values"',
        "min = 1.0e-7",
        "max = 1.0e-2",
        "[parameters.layers]",
        "min = 1",
        "max = 4",
      ].join("\n"),
    );
    const upload = await sweepForServer(file, "examples/fashion-mnist");
    expect(upload.yaml).toContain('"min": 1.0');
    expect(upload.yaml).toContain('"min": 1.0e-07');
    // What the server reads back (PyYAML reads YAML 1.1) is the same sweep.
    const back = parseSweepConfigText(upload.yaml, "server.yaml");
    expect(back.parameters.map((p) => [p.key, p.spec.distribution])).toEqual([
      ["decay", "log_uniform_values"],
      ["layers", "int_uniform"],
      ["lr", "uniform"],
    ]);
    const raw = parseYaml11(upload.yaml).value as Record<string, unknown>;
    expect(raw.program).toBe("examples/fashion-mnist");
    expect(upload.replacedProgram).toBeUndefined();
    // A program written for the Python agent is replaced by the pipeline, and said so.
    const python = join(tempDir(), "sweep.yaml");
    writeFileSync(
      python,
      "program: train.py\nmethod: grid\nparameters:\n  lr:\n    values: [0.1]\n",
    );
    const replaced = await sweepForServer(python, "examples/fashion-mnist");
    expect(replaced.replacedProgram).toBe("train.py");
    expect((parseYaml11(replaced.yaml).value as { program: string }).program).toBe(
      "examples/fashion-mnist",
    );
    expect(raw.command).toEqual(["tipi", "run", "${program}", "${args}"]);
  });

  it("parses sweep paths as the wandb CLI does", () => {
    expect(parseSweepPath("me/mnist/abc123")).toEqual({
      entity: "me",
      project: "mnist",
      sweep: "abc123",
    });
    expect(parseSweepPath("mnist/abc123")).toEqual({ project: "mnist", sweep: "abc123" });
    expect(parseSweepPath("abc123")).toEqual({ sweep: "abc123" });
    expect(() => parseSweepPath("a/b/c/d")).toThrow(/write entity\/project\/sweep-id/);
  });
});

describe("withRetry", () => {
  it("retries network errors and 5xx with doubling waits, and gives up on other 4xx at once", async () => {
    const waits: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls++;
        if (calls < 4) throw new WandbRequestError("HTTP 500", calls === 1 ? 0 : 500);
        return "ok";
      },
      { initialMs: 10, maxMs: 30, onRetry: (_e, wait) => waits.push(wait) },
    );
    expect(value).toBe("ok");
    expect(waits).toHaveLength(3);
    // 10, 20, 30 (capped), each ±20%.
    expect(waits.map((w, i) => Math.abs(w - [10, 20, 30][i]!) <= [10, 20, 30][i]! * 0.2)).toEqual([
      true,
      true,
      true,
    ]);
    let unauthorized = 0;
    await expect(
      withRetry(async () => {
        unauthorized++;
        throw new WandbRequestError("HTTP 401", 401);
      }),
    ).rejects.toThrow("HTTP 401");
    expect(unauthorized).toBe(1);
  });
});

describe("runAgent", () => {
  it("runs what the controller suggests, honours count, and reports a refused run as failed", async () => {
    const server = await startFakeWandbServer({ apiKey: KEY });
    try {
      const sweep = server.controller.createSweep(
        "method: grid\nprogram: fake\nparameters:\n  quality:\n    values: [1, 2, 3]\n  steps:\n    value: 3\n",
        "proto",
      );
      const root = tempDir();
      const lines: string[] = [];
      // A stand-in for `tipi run`: the trial script reads --set pairs, so pass them that way.
      const launch = (argv: readonly string[]) => ({
        command: process.execPath,
        args: [
          STAND_IN_TRIAL,
          ...argv
            .slice(2)
            .flatMap((a) => (a.startsWith("--") && a.includes("=") ? ["--set", a.slice(2)] : [a])),
        ],
      });
      const outcome = await runAgent({
        sweep: `tipi-test/proto/${sweep.name}`,
        apiKey: KEY,
        baseUrl: server.url,
        runsDir: root,
        count: 2,
        heartbeatMs: 50,
        launch,
        // The second suggestion is refused before it starts (as a name collision would be).
        checkArgs: (args) => (args.quality?.value === 2 ? "quality 2 is refused" : undefined),
        log: (line) => lines.push(line),
      });
      expect(outcome.reason).toBe("count");
      expect(outcome.trials.map((t) => [t.args.quality?.value, t.status])).toEqual([
        [1, "finished"],
        [2, "failed"],
      ]);
      expect(outcome.trials.every((t) => t.synced)).toBe(true);
      server.controller.refresh();
      expect(sweep.runs.map((r) => [r.params.quality, r.state])).toEqual([
        [1, "finished"],
        [2, "failed"],
      ]);
      // Without a run directory (the stand-in writes none), a trial is still reported: its W&B
      // run is attached to the sweep and complete with its exit code (tests/agent.test.ts shows
      // the history of real tipi runs arriving).
      const [first, refused] = sweep.runs;
      expect(server.run(first!.name).sweep).toBe(sweep.name);
      expect(server.run(first!.name).complete?.exitcode).toBe(0);
      // The refused one is a W&B run too: failed, with its parameters as config.
      expect(server.run(refused!.name).complete?.exitcode).toBe(1);
      expect(server.run(refused!.name).config).toEqual({
        quality: { value: 2 },
        steps: { value: 3 },
      });
      expect(lines.join("\n")).toMatch(/not started: quality 2 is refused/);
      // The parameters file the wandb agent would write.
      const params = readFileSync(
        join(outcome.sweepDir, "params", `config-${first!.name}.yaml`),
        "utf8",
      );
      expect(params).toBe('wandb_version: 1\n"quality":\n  value: 1\n"steps":\n  value: 3\n');
    } finally {
      await server.close();
    }
  });

  it("exits on the controller's exit, and refuses an unknown sweep or a bad key", async () => {
    const server = await startFakeWandbServer({ apiKey: KEY });
    try {
      const sweep = server.controller.createSweep(
        "method: grid\nprogram: fake\nparameters:\n  quality:\n    values: [1]\n",
        "proto",
      );
      const launch = (argv: readonly string[]) => ({
        command: process.execPath,
        args: [STAND_IN_TRIAL, "--run-dir", argv[argv.indexOf("--run-dir") + 1]!],
      });
      const common = {
        apiKey: KEY,
        baseUrl: server.url,
        runsDir: tempDir(),
        heartbeatMs: 50,
        launch,
      };
      const done = await runAgent({ ...common, sweep: `tipi-test/proto/${sweep.name}` });
      expect(done.reason).toBe("exit");
      expect(done.trials).toHaveLength(1);
      expect(sweep.state).toBe("FINISHED");
      await expect(runAgent({ ...common, sweep: "tipi-test/proto/nosuchid" })).rejects.toThrow(
        "sweep tipi-test/proto/nosuchid not found",
      );
      await expect(
        runAgent({ ...common, apiKey: "wrong".repeat(8), sweep: `tipi-test/proto/${sweep.name}` }),
      ).rejects.toThrow(/HTTP 401/);
      // The API is usable on its own.
      const api = new AgentApi({ baseUrl: server.url, apiKey: KEY });
      expect(await api.viewer()).toBe("tipi-test");
    } finally {
      await server.close();
    }
  });
});
