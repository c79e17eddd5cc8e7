// End-to-end: every `tipi` command through a real subprocess.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { startFakeWandbServer } from "../packages/wandb/src/testing/index.ts";
import { FIXTURES, tipi } from "./fixtures/cli/run-tipi.ts";

const BASIC = "tests/fixtures/cli/basic";
const scratch = mkdtempSync(join(tmpdir(), "tipi-cli-"));
const runs = join(scratch, "runs");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const json = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
const jsonl = (file: string) =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const runDirs = (pipeline: string) =>
  existsSync(join(runs, pipeline)) ? readdirSync(join(runs, pipeline)).sort() : [];

describe.concurrent("help and version", () => {
  test("--help lists every command", async () => {
    const r = await tipi(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["run", "validate", "graph", "list", "init", "runs", "sync", "sweep"])
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
  });

  test("run --help shows the run options", async () => {
    const r = await tipi(["run", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--resume <run-id|last>");
    expect(r.stdout).toContain("--no-progress");
  });

  test("--version", async () => {
    const r = await tipi(["--version"]);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe("run", () => {
  test("records the run directory; overrides typed by the config; plain lines through a pipe", async () => {
    const r = await tipi([
      "run",
      BASIC,
      "--runs",
      runs,
      "--seed",
      "7",
      "--set",
      "hello.times=2",
      "hello.text=hey",
      "--lr=0.5",
      "--train.batches=30",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // console.log from a step, then sparse lines: one per step, one per 10% of a bar
    expect(r.stdout.match(/^hey$/gm)).toHaveLength(2);
    expect(r.stdout).toMatch(/✔ \[1\/2\] hello/);
    expect(r.stdout).toMatch(/✔ \[2\/2\] train/);
    expect(r.stdout.split("\n").filter((l) => l.includes("Batch")).length).toBeLessThanOrEqual(20);
    const [id] = runDirs("basic");
    const dir = join(runs, "basic", id!);
    const config = json(join(dir, "config.json")) as {
      processes: { hello: { times: unknown; text: unknown }; train: { batches: unknown } };
      permanences: { hyperparameters: { lr: unknown } };
      pipeline: { seed: unknown };
    };
    expect(config.processes.hello).toMatchObject({ times: 2, text: "hey" });
    expect(config.processes.train.batches).toBe(30);
    expect(config.permanences.hyperparameters.lr).toBe(0.5);
    expect(config.pipeline.seed).toBe(7);
    const meta = json(join(dir, "meta.json"));
    // tfjs: the tfjs-core version beside @tipi/tfjs (resolved through its exported package.json)
    expect(meta).toMatchObject({
      tipi: expect.any(String),
      tfjs: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      seed: 7,
      node: process.version,
    });
    expect(meta.argv).toContain("--lr=0.5");
    expect(meta.git).toMatch(/^[0-9a-f]{40}/);
    expect(json(join(dir, "status.json")).status).toBe("finished");
    const history = jsonl(join(dir, "history.jsonl"));
    expect(history).toHaveLength(2);
    expect(json(join(dir, "summary.json"))).toMatchObject({ accuracy: 0.75, loss: 0.5 });
    const events = jsonl(join(dir, "events.jsonl")).map((e) => e.type);
    expect(events[0]).toBe("run:start");
    expect(events.at(-1)).toBe("run:end");
  });

  test("--json prints only events on stdout; step output goes to stderr", async () => {
    const r = await tipi(["run", BASIC, "--runs", join(scratch, "json-runs"), "--json"]);
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string });
    expect(events[0]?.type).toBe("run:start");
    expect(events.at(-1)).toMatchObject({ type: "run:end", ok: true });
    expect(events.some((e) => e.type === "progress")).toBe(true);
    expect(r.stderr).toContain("hello from a step");
  });

  test("-c merges a TOML file over the pipeline's config", async () => {
    const r = await tipi([
      "run",
      BASIC,
      "-c",
      "tests/fixtures/cli/overlay.toml",
      "--runs",
      join(scratch, "overlay"),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("from the overlay");
    const [id] = readdirSync(join(scratch, "overlay", "basic"));
    const config = json(join(scratch, "overlay", "basic", id!, "config.json")) as {
      processes: {
        hello: { type: string; text: string };
        train: { epochs: number; batches: number };
      };
    };
    expect(config.processes.hello).toEqual({ type: "Echo", text: "from the overlay" });
    expect(config.processes.train).toMatchObject({ epochs: 1, batches: 4 });
  });

  test("--dry-run builds and prints the plan, creates no run", async () => {
    const dryRuns = join(scratch, "dry");
    const r = await tipi(["run", BASIC, "--runs", dryRuns, "--dry-run", "--set", "train.epochs=9"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("2. train [process] Train");
    expect(r.stdout).toContain('"epochs":9');
    expect(existsSync(dryRuns)).toBe(false);
  });

  test("--run-dir uses exactly that directory; --resume continues it", async () => {
    const dir = join(scratch, "exact-run");
    const first = await tipi(["run", BASIC, "--run-dir", dir, "--no-progress"]);
    expect(first.code).toBe(0);
    expect(first.stdout).not.toContain("Batch");
    // only the final result: the last metric values, then the result line
    expect(first.stdout).toMatch(/^ {2}loss=\S+ accuracy=\S+\n✔ .+ finished in /m);
    const meta = json(join(dir, "meta.json"));
    const again = await tipi(["run", BASIC, "--run-dir", dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already holds a run");
    const resumed = await tipi(["run", BASIC, "--resume", dir, "--no-progress"]);
    expect(resumed.code).toBe(0);
    expect(json(join(dir, "meta.json")).runId).toBe(meta.runId);
    // The fixture has no checkpoints: it trains again, and the repeated steps are not logged twice.
    expect(jsonl(join(dir, "history.jsonl"))).toHaveLength(2);
    expect(json(join(dir, "status.json")).status).toBe("finished");
  });

  test("a DSL module pipeline (default export) runs", async () => {
    const r = await tipi(["run", "tests/fixtures/cli/module", "--runs", runs]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("n is 40");
    expect(runDirs("module-fixture")).toHaveLength(1);
  });

  test("pipelines are found by name in pipelines/ and examples/", async () => {
    const cwd = join(FIXTURES, "project");
    const alpha = await tipi(["run", "alpha", "--runs", join(scratch, "named")], { cwd });
    expect(alpha.code).toBe(0);
    expect(alpha.stdout).toContain("alpha says hi");
    const beta = await tipi(["validate", "beta"], { cwd });
    expect(beta.code).toBe(0);
    expect(beta.stdout).toContain('pipeline "beta" is valid');
  });
});

describe.concurrent("validate, graph, list", () => {
  test("validate", async () => {
    const r = await tipi(["validate", BASIC]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pipeline "basic" is valid (2 permanences, 2 steps)');
  });

  test("graph as text, mermaid and JSON", async () => {
    const [text, mermaid, asJson] = await Promise.all([
      tipi(["graph", BASIC]),
      tipi(["graph", BASIC, "--mermaid"]),
      tipi(["graph", BASIC, "--json"]),
    ]);
    expect(text.stdout).toContain("journal          Journal");
    expect(text.stdout).toContain("1. hello [process] Echo");
    expect(mermaid.stdout.split("\n")[0]).toBe("flowchart TD");
    expect(mermaid.stdout).toContain("g_s0_hello --> g_s1_train");
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      steps: [{ name: "hello", kind: "process" }, { name: "train" }],
    });
  });

  test("list shows pipelines/ and examples/ with descriptions", async () => {
    const r = await tipi(["list"], { cwd: join(FIXTURES, "project") });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^alpha\s+pipelines\/alpha\.toml\s+Fixture found by name in pipelines\//m,
    );
    expect(r.stdout).toMatch(/^beta\s+examples\/beta\/pipeline\.toml/m);
  });
});

describe("runs, sync, sweep, init", () => {
  test("runs lists status, duration and metrics", async () => {
    const root = join(scratch, "runs-cmd");
    await tipi(["run", BASIC, "--runs", root, "--no-progress"]);
    await tipi(["run", "tests/fixtures/cli/bad/explode.toml", "--runs", root, "--no-progress"]);
    const r = await tipi(["runs", "--runs", root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PIPELINE\s+RUN\s+STATUS/m);
    expect(r.stdout).toMatch(/^basic\s+\S+\s+finished\s+.*accuracy=0\.75 loss=0\.5/m);
    expect(r.stdout).toMatch(/^explode\s+\S+\s+failed/m);
    const only = await tipi(["runs", "explode", "--runs", root, "--json"]);
    expect(JSON.parse(only.stdout)).toHaveLength(1);
  });

  test("sync uploads a run to a W&B server once", async () => {
    const server = await startFakeWandbServer({ apiKey: "k".repeat(40) });
    try {
      const root = join(scratch, "sync-runs");
      await tipi(["run", BASIC, "--runs", root, "--no-progress"]);
      const env = { WANDB_API_KEY: "k".repeat(40), WANDB_BASE_URL: server.url };
      const first = await tipi(["sync", "last", "--runs", root, "--project", "cli"], { env });
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/synced 2 rows/);
      expect(server.run().history.size).toBe(2);
      const second = await tipi(["sync", "last", "--runs", root], { env });
      expect(second.code).toBe(0);
      expect(second.stdout).toContain("up to date");
      expect(server.run().historyOffsets).toHaveLength(2);
      const noKey = await tipi(["sync", "last", "--runs", root], {
        env: { WANDB_API_KEY: "", NETRC: join(root, "no-netrc") },
      });
      expect(noKey.stderr).toContain("tipi sync needs a W&B API key");
      expect(noKey.code).toBe(2);
    } finally {
      await server.close();
    }
  });

  test('[pipeline] logger = "wandb" streams the metrics to W&B', async () => {
    const server = await startFakeWandbServer({ apiKey: "w".repeat(40) });
    try {
      const env = {
        WANDB_API_KEY: "w".repeat(40),
        WANDB_BASE_URL: server.url,
        WANDB_MODE: "online",
      };
      const r = await tipi(
        ["run", "tests/fixtures/cli/wandb.toml", "--runs", join(scratch, "wb")],
        { env },
      );
      expect(r.code).toBe(0);
      expect(server.run().history.size).toBe(3);
      expect(server.run().complete?.exitcode).toBe(0);
    } finally {
      await server.close();
    }
  });

  test("sweep runs every grid trial as a tipi run and prints the table", async () => {
    const sweepDir = join(scratch, "sweep");
    const r = await tipi([
      "sweep",
      BASIC,
      "tests/fixtures/cli/sweep.yaml",
      "--parallel",
      "2",
      "--sweep-dir",
      sweepDir,
    ]);
    expect(r.code).toBe(0);
    const trials = readdirSync(join(sweepDir, "trials"), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(trials).toHaveLength(2);
    for (const t of trials)
      expect(json(join(sweepDir, "trials", t, "status.json")).status).toBe("finished");
    const epochs = trials.map(
      (t) =>
        (
          json(join(sweepDir, "trials", t, "config.json")) as {
            processes: { train: { epochs: number } };
          }
        ).processes.train.epochs,
    );
    expect(epochs.sort()).toEqual([1, 2]);
    expect(r.stdout).toContain("accuracy");
  });
});
