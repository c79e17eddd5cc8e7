/**
 * The helpers inside a real `tipi run` (a subprocess, in a pseudo-terminal): the CLI's
 * executor sets the run context, so the helpers use the run's bus and device, and only the
 * CLI's display is drawn. (The Python tipi documented this but never set the context.)
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exec = promisify(execFile);
const repo = resolve(import.meta.dirname, "../../..");
const cli = join(repo, "packages/cli/dist/bin.js");
const fixture = join(import.meta.dirname, "fixtures/cli-helpers");

describe("helpers under `tipi run`", () => {
  it("use the run's context: events on its bus, its device, no second display", async () => {
    const root = mkdtempSync(join(tmpdir(), "tipi-helpers-cli-"));
    const runDir = join(root, "run");
    const command = `stty cols 120 rows 40; node ${cli} run ${fixture} --run-dir ${runDir}`;
    const { stdout } = await exec("script", ["-qfec", command, "/dev/null"], {
      cwd: root,
      env: { ...process.env, CI: "", TERM: "xterm-256color" },
    });

    const probe = JSON.parse(readFileSync(join(runDir, "probe.json"), "utf8"));
    expect(probe.contextSet).toBe(true);
    expect(probe.info).toMatchObject({ mode: "pipeline", runDir });
    expect(probe.device).toEqual({
      backend: "cpu",
      reason: expect.any(String),
      source: "pipeline",
    });
    expect(existsSync(join(runDir, "stray-runs"))).toBe(false);

    // logger.log → metric events → the run's history.
    const history = readFileSync(join(runDir, "history.jsonl"), "utf8").trim().split("\n");
    expect(history.map((l) => JSON.parse(l).values)).toEqual(
      [0, 1, 2].flatMap((epoch) => [0, 10, 20, 30].map((i) => ({ i, epoch }))),
    );
    // progressBar → progress events, nested, recorded by the run.
    const events = readFileSync(join(runDir, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const epochBar = events.find((e) => e.type === "progress" && e.label === "ProbeEpoch");
    const batch = events.filter((e) => e.type === "progress" && e.label === "ProbeBatch");
    expect(batch.length).toBeGreaterThan(0);
    expect(batch.every((e) => e.parent === epochBar.id)).toBe(true);

    // The CLI's renderer showed the bars; tipi's standalone display (`Label [███░░] 30% 12/40`,
    // bars joined by `│`) did not.
    expect(stdout).toMatch(/ProbeBatch \S*█/);
    expect(stdout).not.toMatch(/Probe(Epoch|Batch) \[/);
    expect(stdout).not.toContain("│");
  });
});
