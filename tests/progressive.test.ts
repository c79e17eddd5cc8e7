/**
 * The progressive-enhancement journey (docs/progressive-enhancement.md): every level runs in
 * its small, fast mode in a subprocess, and all of them share one training step.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exec = promisify(execFile);
const repo = resolve(import.meta.dirname, "..");
const dir = join(repo, "examples/progressive");
const tsx = join(repo, "node_modules/.bin/tsx");
const cli = join(repo, "packages/cli/dist/bin.js");
const SHARED = "../shared/train-step.ts";

function levelFiles(): { level: string; file: string; source: string }[] {
  return readdirSync(dir)
    .filter((d) => d.startsWith("level-"))
    .sort()
    .flatMap((level) =>
      readdirSync(join(dir, level))
        .filter((f) => f.endsWith(".ts"))
        .map((f) => ({
          level,
          file: join(level, f),
          source: readFileSync(join(dir, level, f), "utf8"),
        })),
    );
}

/** Runs a level's script in small mode in a fresh working directory. */
async function runLevel(script: string, args: string[] = []) {
  const cwd = mkdtempSync(join(tmpdir(), "tipi-progressive-"));
  const { stdout, stderr } = await exec(tsx, [join(dir, script), ...args], {
    cwd,
    env: { ...process.env, TIPI_SMALL: "1", CI: "true" },
  });
  const accuracy = Number(/test accuracy (\d\.\d+)/.exec(stdout)?.[1]);
  return { stdout, stderr, cwd, accuracy };
}

function runDirs(cwd: string, project: string): string[] {
  return readdirSync(join(cwd, "runs", project)).map((id) => join(cwd, "runs", project, id));
}

describe("progressive levels share one training step", () => {
  const files = levelFiles();

  it("has levels 0 to 5", () => {
    expect([...new Set(files.map((f) => f.level))]).toEqual([
      "level-0",
      "level-1",
      "level-2",
      "level-3",
      "level-4",
      "level-5",
    ]);
  });

  it("every level imports the shared module (level 5 through level 4's function) and none re-defines the training step", () => {
    const shared = readFileSync(join(dir, "shared/train-step.ts"), "utf8");
    // The body of the training step: if any level contains these, it copied the code.
    const bodyMarkers = [
      "optimizer.minimize(",
      "softmaxCrossEntropy",
      "tfl.sequential(",
      "tf.oneHot(",
    ];
    for (const marker of bodyMarkers) expect(shared).toContain(marker);
    for (const level of new Set(files.map((f) => f.level))) {
      const sources = files.filter((f) => f.level === level).map((f) => f.source);
      const expected = level === "level-5" ? 'from "../level-4/train.ts"' : `from "${SHARED}"`;
      expect(
        sources.some((s) => s.includes(expected)),
        level,
      ).toBe(true);
    }
    for (const { file, source } of files) {
      for (const marker of bodyMarkers)
        expect(source, `${file} contains ${marker}`).not.toContain(marker);
      expect(source, file).not.toMatch(/function\s+trainStep\b|trainStep\s*=\s*(async\s*)?\(/);
    }
  });
});

describe("progressive levels run (small mode, subprocess)", () => {
  it("hello.ts (docs/getting-started.md) runs", async () => {
    const { stdout } = await runLevel("hello.ts");
    expect(stdout).toBe("hello, tipi\ndone\n");
  });

  it("level 0: a raw script prints its loss and accuracy", async () => {
    const { stdout, accuracy } = await runLevel("level-0/train.ts");
    expect(stdout).toMatch(/epoch 1\/1 loss \d/);
    expect(accuracy).toBeGreaterThan(0.3); // 10 classes: chance is 0.1
  });

  it("level 1: adds progress bars (plain lines without a TTY)", async () => {
    const { stderr, accuracy } = await runLevel("level-1/train.ts");
    expect(stderr).toMatch(/Epoch \[█+\] 100% 1\/1/);
    expect(accuracy).toBeGreaterThan(0.3);
  });

  it("level 2: adds a local run directory with the loss history", async () => {
    const { cwd, accuracy } = await runLevel("level-2/train.ts");
    const [run] = runDirs(cwd, "progressive");
    const history = readFileSync(join(run!, "history.jsonl"), "utf8").trim().split("\n");
    expect(history).toHaveLength(8 + 1); // 512 images / 64 per batch, then the test accuracy
    const summary = JSON.parse(readFileSync(join(run!, "summary.json"), "utf8"));
    expect(summary.test_accuracy).toBeCloseTo(accuracy, 4);
    expect(JSON.parse(readFileSync(join(run!, "config.json"), "utf8"))).toMatchObject({
      trainSize: 512,
    });
  });

  it("level 3: adds automatic device selection", async () => {
    const { stdout, cwd, accuracy } = await runLevel("level-3/train.ts");
    expect(stdout).toMatch(/device (wasm|tensorflow|tensorflow-gpu|cpu): /);
    expect(runDirs(cwd, "progressive")).toHaveLength(1);
    expect(accuracy).toBeGreaterThan(0.3);
  });

  it("level 4: the loop is a pipelineProcess function, still run as a script", async () => {
    const { stdout, cwd, accuracy } = await runLevel("level-4/train.ts");
    expect(stdout).toMatch(/device (wasm|tensorflow|tensorflow-gpu|cpu)/);
    expect(runDirs(cwd, "progressive")).toHaveLength(1);
    expect(accuracy).toBeGreaterThan(0.3);
  });

  it("level 5: pipeline.toml run by the real `tipi run`; the helpers use the run's bus", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "tipi-progressive-5-"));
    const small = join(dir, "level-5/small.toml");
    const { stdout, stderr } = await exec("node", [cli, "run", join(dir, "level-5"), "-c", small], {
      cwd,
      env: { ...process.env, CI: "true" },
    });
    // One run directory: the CLI's. logger.init inside the run did not create a second one.
    const runs = runDirs(cwd, "progressive");
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    const history = readFileSync(join(run, "history.jsonl"), "utf8").trim().split("\n");
    expect(history).toHaveLength(8 + 1);
    const summary = JSON.parse(readFileSync(join(run, "summary.json"), "utf8"));
    expect(summary.test_accuracy).toBeGreaterThan(0.3);
    // progressBar's events reached the run's bus (and its events.jsonl)...
    const events = readFileSync(join(run, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; label?: string; done?: boolean });
    const bars = events.filter((e) => e.type === "progress");
    expect(bars.some((e) => e.label === "Epoch" && e.done)).toBe(true);
    expect(bars.some((e) => e.label === "Batch" && e.done)).toBe(true);
    // ...and the CLI drew them; tipi's standalone bar (`Batch [████…]`) never appeared.
    expect(stdout + stderr).toMatch(/Batch\D*8\/8/);
    expect(stdout + stderr).not.toMatch(/(Epoch|Batch) \[/);
  });
});
