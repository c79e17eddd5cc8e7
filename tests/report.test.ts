// `tipi report`: what a run or sweep directory holds, read tolerantly and written as one HTML file
// that loads nothing; damaged directories render with notes, a path that is no run exits 2.
// (The pages are checked in a real browser in report-browser.test.ts.)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runPage, sweepPage } from "../packages/cli/src/report/pages.ts";
import { readRunData } from "../packages/cli/src/report/run-data.ts";
import { readSweepData } from "../packages/cli/src/report/sweep-data.ts";
import { tipi } from "./fixtures/cli/run-tipi.ts";
import {
  LABELS,
  writeCrashedRun,
  writeFinishedRun,
  writeOlderRun,
  writeSweep,
} from "./report-fixtures.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-report-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const runs = join(scratch, "runs");
const finished = writeFinishedRun(runs);

/** Every URL the page would fetch by itself: src/href attributes, CSS url(), @import. */
function externalReferences(html: string): string[] {
  const markup = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "<script></script>");
  const found = [
    ...markup.matchAll(/<[^>]*\s(?:src|href|action|poster|data)\s*=\s*["']?([^"'\s>]+)/gi),
    ...html.matchAll(/url\(\s*["']?([^"')]+)/gi),
    ...html.matchAll(/@import\s+["']([^"']+)/gi),
  ].map((m) => m[1] as string);
  return found.filter((url) => !url.startsWith("data:") && !url.startsWith("#"));
}

describe("reading a run directory", () => {
  test("a finished run: summary, history, overrides, figures, timings, checkpoints", () => {
    const run = readRunData(finished.dir);
    expect(run.notes).toEqual([]);
    expect(run.status).toBe("finished");
    expect(run.summary["test/accuracy"]).toBe(finished.summary["test/accuracy"]);
    expect(run.history).toHaveLength(3 * 5 + 1);
    expect(run.overrides.map((o) => o.path).sort()).toEqual([
      "permanences.hyperparameters.epochs",
      "permanences.hyperparameters.learningRate",
      "pipeline.seed",
    ]);
    expect(run.figures[0]).toMatchObject({ kind: "confusion-matrix", labels: LABELS });
    expect(run.steps).toEqual([{ name: "train", state: "finished", durationMs: 812 }]);
    expect(run.checkpoints).toMatchObject([
      { file: "step-000000000012.ckpt", step: 12, bytes: 2048 },
    ]);
    expect(run.historyBytes).toBe(readFileSync(join(finished.dir, "history.jsonl")).length);
  });

  test("a crashed run: says the process is gone, the line is torn, the summary comes from history", () => {
    const run = readRunData(writeCrashedRun(join(scratch, "crashed")));
    expect(run.history.map((p) => p.values["train/loss"])).toEqual([2.1, 1.9]);
    expect(run.summary).toEqual({ "train/loss": 1.9 });
    const notes = run.notes.join("\n");
    expect(notes).toMatch(/status.json says running, but its process .* is gone/);
    expect(notes).toContain("history.jsonl ends in a half-written line");
    expect(notes).toContain("summary.json is missing");
    expect(notes).toContain("events.jsonl is missing");
  });

  test("an older tipi's run: flat history rows and the old confusion-matrix JSON still show", () => {
    const dir = writeOlderRun(join(scratch, "older"));
    const run = readRunData(dir);
    expect(run.history.map((p) => [p.step, p.values.loss])).toEqual([
      [1, 1],
      [2, 0.5],
      [3, 1 / 3],
    ]);
    expect(run.figures).toMatchObject([{ kind: "confusion-matrix", labels: ["a", "b"] }]);
    expect(run.notes.join("\n")).toMatch(/does not record the backend \(a run from an older tipi/);
  });
});

describe("what meta.json and wandb-sync.json add", () => {
  test("overrides from the recorded recipe and resumes; the W&B sync state", () => {
    const { dir } = writeFinishedRun(join(scratch, "recipe"));
    const metaFile = join(dir, "meta.json");
    const meta = JSON.parse(readFileSync(metaFile, "utf8")) as Record<string, unknown>;
    writeFileSync(
      metaFile,
      JSON.stringify({
        ...meta,
        recipe: { configFiles: ["/work/extra.toml"], set: ["batchSize=64"], seed: 3 },
        resumes: [{ at: "2026-12-02T05:00:00.000Z", argv: [], changed: ["pipeline.logger"] }],
      }),
    );
    writeFileSync(
      join(dir, "wandb-sync.json"),
      JSON.stringify({
        version: 1,
        runId: "ab12cd34",
        project: "mnist",
        entity: "team",
        mode: "online",
        upserted: true,
        history: [
          [0, 10],
          [12, 14],
        ],
        lastError: "HTTP 503 from file_stream",
        updatedAt: "2026-12-02T05:01:00.000Z",
      }),
    );
    const run = readRunData(dir);
    expect(run.overrides).toEqual([
      { path: "permanences.hyperparameters.batchSize", source: "--set batchSize=64" },
      { path: "pipeline.seed", source: "--seed 3" },
      { path: "pipeline.logger", source: "--resume --allow-changes (2026-12-02T05:00:00.000Z)" },
    ]);
    expect(run.configFiles).toEqual(["/work/extra.toml"]);
    expect(run.sync).toMatchObject({ project: "mnist", rowsAcknowledged: 12, complete: false });
    const html = runPage(run);
    expect(html).toMatch(/<table class="data kv" id="sync" data-sync="failed part-way">/);
    expect(html).toContain("12 of 16");
    expect(html).toContain("HTTP 503 from file_stream");
  });

  test("a sweep whose parameters are nested (W&B's parameters: { parameters: … })", () => {
    const { dir } = writeSweep(join(scratch, "nested"));
    const file = join(dir, "sweep.json");
    const state = JSON.parse(readFileSync(file, "utf8")) as {
      config: Record<string, unknown>;
      trials: { params: Record<string, unknown> }[];
    };
    state.config.parameters = {
      hyperparameters: {
        parameters: {
          learningRate: { distribution: "log_uniform_values", min: 1e-4, max: 0.1 },
          batchSize: { values: [32, 64] },
        },
      },
    };
    for (const trial of state.trials) {
      trial.params = {
        hyperparameters: {
          learningRate: trial.params["hyperparameters.learningRate"],
          batchSize: trial.params["hyperparameters.batchSize"],
        },
      };
    }
    writeFileSync(file, JSON.stringify(state));
    const sweep = readSweepData(dir);
    expect(sweep.params.map((p) => [p.key, p.distribution, p.log])).toEqual([
      ["hyperparameters.learningRate", "log_uniform_values", true],
      ["hyperparameters.batchSize", "categorical", false],
    ]);
    expect(sweep.trials[0]?.params).toEqual({
      "hyperparameters.learningRate": 0.01,
      "hyperparameters.batchSize": 64,
    });
  });
});

describe("the HTML", () => {
  test("a run's page is one file that references nothing outside itself", () => {
    const html = runPage(readRunData(finished.dir));
    expect(externalReferences(html)).toEqual([]);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain("connect-src 'none'");
    expect(html).toMatch(/uPlot/);
    expect(html).toContain(
      `data-metric="test/accuracy" data-value="${finished.summary["test/accuracy"]}"`,
    );
    expect(html).toMatch(/<tr data-key="permanences.hyperparameters.epochs" class="overridden">/);
    expect(html).toContain("--set hyperparameters.epochs=3");
    // The data island cannot end its script element early.
    expect(html.match(/<\/script>/g)).toHaveLength(3);
  });

  test("a sweep's page ranks the trials and lists what hyperband stopped", () => {
    const { dir } = writeSweep(join(scratch, "sweep"));
    const sweep = readSweepData(dir);
    expect(sweep.trials.map((t) => [t.id, t.rank])).toEqual([
      ["trial-0002", 1],
      ["trial-0001", 2],
      ["trial-0003", 3],
      ["trial-0004", undefined],
    ]);
    expect(sweep.params.map((p) => [p.key, p.numeric, p.log])).toEqual([
      ["hyperparameters.learningRate", true, true],
      ["hyperparameters.batchSize", false, false],
    ]);
    expect(sweep.constants).toEqual({ "hyperparameters.epochs": 3 });
    const html = sweepPage(sweep);
    expect(externalReferences(html)).toEqual([]);
    expect(html).toMatch(
      /<table class="data" id="stopped">.*trial-0003.*hyperband: below the top 1\/2/s,
    );
  });
});

describe("tipi report", () => {
  test("writes report.html into the run directory; --out elsewhere; - to stdout", async () => {
    const r = await tipi(["report", finished.dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/run report of .*report\.html/);
    expect(readFileSync(join(finished.dir, "report.html"), "utf8")).toContain("<!doctype html>");
    const out = join(scratch, "out.html");
    expect((await tipi(["report", finished.dir, "--out", out])).code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const stdout = await tipi(["report", finished.dir, "--out", "-"]);
    expect(stdout.stdout.startsWith("<!doctype html>")).toBe(true);
  });

  test("finds the newest run by pipeline name, run id prefix and last", async () => {
    const newer = writeFinishedRun(runs, { runId: "20261202-030303-efgh", lr: 0.02 });
    for (const spec of ["demo", "last", "20261202-0303"]) {
      const r = await tipi(["report", spec, "--runs", runs, "--out", "-"]);
      expect(r.code, `${spec}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(newer.dir);
    }
  });

  test("a crashed run and an empty directory render, listing what is missing on stderr", async () => {
    const crashed = await tipi([
      "report",
      join(scratch, "crashed", "demo", "20261202-020202-dead"),
    ]);
    expect(crashed.code, crashed.stderr).toBe(0);
    expect(crashed.stderr).toContain("tipi report: history.jsonl ends in a half-written line");
    const empty = join(scratch, "empty");
    mkdirSync(empty);
    const r = await tipi(["report", empty]);
    expect(r.code, r.stderr).toBe(0);
    for (const file of ["meta.json", "status.json", "config.json", "summary.json", "history.jsonl"])
      expect(r.stderr).toContain(`tipi report: ${file} is missing`);
    expect(readFileSync(join(empty, "report.html"), "utf8")).toContain('id="notes"');
  });

  test("a path that is not a run exits 2 and says so", async () => {
    const notRun = join(scratch, "not-a-run");
    mkdirSync(notRun);
    writeFileSync(join(notRun, "notes.txt"), "hello");
    const dir = await tipi(["report", notRun]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toMatch(/not-a-run is not a run directory: it has none of meta.json/);
    const file = await tipi(["report", join(notRun, "notes.txt")]);
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(/notes.txt is a file, not a run directory/);
    const root = await tipi(["report", runs]);
    expect(root.code).toBe(2);
    expect(root.stderr).toMatch(/is not a run directory: it holds 2 runs/);
    const badOut = await tipi(["report", finished.dir, "--out", join(scratch, "no", "dir.html")]);
    expect(badOut.code).toBe(2);
    expect(badOut.stderr).toContain("dir.html: no such directory");
    const missing = await tipi(["report", "no-such-thing", "--runs", runs]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no run, sweep or pipeline "no-such-thing"');
  });

  test("a sweep directory gives a sweep report", async () => {
    const r = await tipi(["report", join(scratch, "sweep"), "--out", "-"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('data-trial="trial-0002"');
  });
});

describe("tipi runs --compare", () => {
  test("prints two runs' metrics side by side with B - A, and the config keys that differ", async () => {
    const root = join(scratch, "compare");
    const a = writeFinishedRun(root, { runId: "20261202-040404-aaaa", lr: 0.01 });
    const b = writeFinishedRun(root, { runId: "20261202-050505-bbbb", lr: 0.02, epochs: 2 });
    const r = await tipi(["runs", "--compare", "20261202-0404", "last", "--runs", root]);
    expect(r.code, r.stderr).toBe(0);
    const line = (key: string) => r.stdout.split("\n").find((l) => l.startsWith(`${key} `)) ?? "";
    expect(line("run")).toMatch(/demo · 20261202-040404-aaaa\s+demo · 20261202-050505-bbbb/);
    expect(line("val/accuracy")).toMatch(/^val\/accuracy\s+0\.66\s+0\.61\s+-0\.05$/);
    expect(line("permanences.hyperparameters.learningRate")).toMatch(/0\.01\s+0\.02$/);
    expect(line("permanences.hyperparameters.epochs")).toMatch(/3\s+2$/);
    expect(r.stdout).not.toMatch(/^permanences\.hyperparameters\.batchSize/m);
    const back = await tipi(["runs", "--compare", "last~1", "last", "--runs", root]);
    expect(back.stdout).toBe(r.stdout);
    const json = await tipi(["runs", "--compare", a.dir, b.dir, "--json"]);
    const parsed = JSON.parse(json.stdout) as { metrics: { key: string; values: number[] }[] };
    expect(parsed.metrics.find((m) => m.key === "test/accuracy")?.values).toEqual([
      a.summary["test/accuracy"],
      b.summary["test/accuracy"],
    ]);
  });

  test("a run that does not exist, or a wrong number of runs, exits 2", async () => {
    const missing = await tipi(["runs", "--compare", "last", "nope", "--runs", runs]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no run "nope"');
    const one = await tipi(["runs", "--compare", "last", "--runs", runs]);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain("--compare takes two runs, got 1");
  });
});
