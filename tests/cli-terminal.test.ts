// The terminal UI in a real pseudo-terminal (script(1)), through a pipe, and a real SIGINT.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { BIN, REPO, tipi } from "./fixtures/cli/run-tipi.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-tty-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const hasScript = existsSync("/usr/bin/script");

/** Runs `tipi …args` in a pseudo-terminal (120×40 unless told); returns the raw bytes it drew. */
function inTerminal(
  args: string[],
  env: Record<string, string> = {},
  size: { cols: number; rows: number } = { cols: 120, rows: 40 },
) {
  const command = `stty cols ${size.cols} rows ${size.rows}; ${process.execPath} ${BIN} ${args.join(" ")}`;
  return new Promise<{ code: number | null; output: string; ms: number }>((resolve) => {
    const started = Date.now();
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd: REPO,
      env: { ...process.env, CI: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("close", (code) => resolve({ code, output, ms: Date.now() - started }));
  });
}

const BASIC = "tests/fixtures/cli/basic";
const ERASE_LINE_UP = "\u001B[2K\u001B[1A";

describe.skipIf(!hasScript).concurrent("in a pseudo-terminal", () => {
  test("nested bars with ETA and throughput; printed lines above the bars", async () => {
    const { code, output } = await inTerminal([
      "run",
      BASIC,
      "--runs",
      join(scratch, "tty"),
      "--set",
      "train.delay_ms=40",
      "--set",
      "train.batches=12",
      "--set",
      "train.verbose=true",
    ]);
    expect(code).toBe(0);
    for (const label of ["Overall", "Cleanup", "Epoch", "Batch", "ETA", "batch/s", "Status: train"])
      expect(output).toContain(label);
    expect(output).toMatch(/Cleanup\s+█+ \(2\/2\)/);
    // "epoch 1 done" is printed while the bars are up: the frame is erased, the line
    // written, and the frame drawn again below it
    const at = output.indexOf("epoch 1 done");
    expect(at).toBeGreaterThan(0);
    expect(output.slice(at - 200, at)).toContain(ERASE_LINE_UP);
    expect(output.slice(at, at + 400)).toContain("Overall");
    // the line is not repeated inside a frame
    expect(output.match(/epoch 1 done/g)).toHaveLength(1);
    // the last value of each metric is printed once the bars are gone, before the result line
    const metricsAt = output.lastIndexOf("loss=");
    expect(metricsAt).toBeGreaterThan(output.lastIndexOf("Overall"));
    expect(output.slice(metricsAt)).toMatch(/loss=0\.5 accuracy=0\.75[\s\S]*finished in/);
  });

  test("progress floods are throttled to ≤ 10 redraws a second", async () => {
    const { code, output, ms } = await inTerminal([
      "run",
      BASIC,
      "--runs",
      join(scratch, "flood"),
      "--set",
      "train.batches=20000",
      "--set",
      "train.epochs=3",
    ]);
    expect(code).toBe(0);
    const frames = output.split("Overall").length - 1;
    // 60k progress events; frames are bounded by time, not by events
    expect(frames).toBeLessThanOrEqual(Math.ceil((ms / 1000) * 10) + 8);
    expect(output.length).toBeLessThan(300_000);
  });

  test("the Device's backend line (a log event) is shown, once", async () => {
    const { code, output } = await inTerminal([
      "run",
      "tests/fixtures/cli/device-seed",
      "--runs",
      join(scratch, "device"),
    ]);
    expect(code).toBe(0);
    expect(output).toContain("Overall");
    expect(output.match(/backend: wasm \(.+\) — skipped: tensorflow-gpu \(/g)).toHaveLength(1);
  });

  test("a terminal that reports 0 columns gets plain lines, not a spinner redrawn forever", async () => {
    const { code, output } = await inTerminal(
      ["run", BASIC, "--runs", join(scratch, "zero-columns")],
      {},
      { cols: 0, rows: 0 },
    );
    expect(code).toBe(0);
    expect(output).not.toContain(ERASE_LINE_UP);
    expect(output).not.toContain("Loading");
    expect(output).toContain("✔ [2/2] train");
    expect(output).toContain("basic finished in");
    expect(output.length).toBeLessThan(5_000);
  });

  test("a failed cleanup ends the Cleanup line with ✖, never ✔", async () => {
    const { code, output } = await inTerminal([
      "run",
      "tests/fixtures/cli/faults/broken-cleanup.toml",
      "--runs",
      join(scratch, "broken-cleanup"),
    ]);
    expect(code).toBe(1);
    expect(output).toContain("cleanup of flusher failed");
    expect(output).not.toMatch(/✔\S* Cleanup/);
    expect(output).toMatch(/✖\S* Cleanup/);
  });

  test("a step awaiting a promise that never settles ends with exit 1 here too", async () => {
    // the bars' redraw timer must not keep the run alive (it is unref'd)
    const { code, output } = await inTerminal([
      "run",
      "tests/fixtures/cli/faults/hang.toml",
      "--runs",
      join(scratch, "hang"),
    ]);
    expect(code).toBe(1);
    expect(output).toContain('step "stuck" stalled: it awaits a promise that can never settle');
  });

  test("Ctrl-C while the bars are up and cleanup is slow: exit 130, no listr2 crash", async () => {
    // The interrupted step's bars stay in the model and their rate changes while cleanup
    // runs; setting a failed listr2 task's output threw (exit 1, a TypeError on the screen).
    const runs = join(scratch, "ctrl-c-slow-cleanup");
    const command = `stty cols 120 rows 40; exec ${process.execPath} ${BIN} run ${BASIC} --runs ${runs} --set train.delay_ms=100 --set train.batches=50 --set journal.cleanup_ms=1500`;
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd: REPO,
      env: { ...process.env, CI: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let signalled = false;
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (!signalled && /Batch .*\(3\/50\)/.test(output)) {
        signalled = true;
        // A terminal's Ctrl-C: SIGINT to the foreground process group (node, after exec).
        const ps = spawn("ps", ["-o", "pid=", "--ppid", String(child.pid)]);
        let pid = "";
        ps.stdout.on("data", (c: Buffer) => {
          pid += c.toString();
        });
        ps.on("close", () => process.kill(-Number(pid.trim()), "SIGINT"));
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(signalled).toBe(true);
    expect(output).not.toContain("Cannot read properties");
    expect(output).toContain("basic interrupted; cleanup done");
    expect(code).toBe(130);
  });

  test("CI=true draws plain lines even in a terminal", async () => {
    const { code, output } = await inTerminal(["run", BASIC, "--runs", join(scratch, "ci")], {
      CI: "true",
    });
    expect(code).toBe(0);
    expect(output).not.toContain(ERASE_LINE_UP);
    expect(output).toContain("✔ [1/2] hello");
    expect(output).toContain("✔ [2/2] train");
  });
});

describe("through a pipe", () => {
  test("a progress flood prints at most one line per step and per 10% of a bar", async () => {
    const r = await tipi([
      "run",
      BASIC,
      "--runs",
      join(scratch, "pipe"),
      "--set",
      "train.batches=20000",
      "--set",
      "train.epochs=2",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("\u001B[");
    const lines = r.stdout.trim().split("\n");
    // header, 2 steps, 2 epochs × 10 batch deciles, 2 epoch deciles, cleanup, metrics, result
    expect(lines.length).toBeLessThanOrEqual(32);
    expect(lines.filter((l) => l.includes("Batch")).length).toBe(20);
  });
});

describe("Ctrl-C", () => {
  test.each(["SIGINT", "SIGTERM"] as const)(
    "a real %s during a run exits 130 after cleanup ran",
    async (signal) => {
      const journal = join(scratch, `journal-${signal}.txt`);
      const runs = join(scratch, `${signal}-runs`);
      const child = spawn(
        process.execPath,
        [
          BIN,
          "run",
          "tests/fixtures/cli/sigint.toml",
          "--set",
          `journal.file=${journal}`,
          "--runs",
          runs,
        ],
        { cwd: REPO, env: { ...process.env, CI: "" }, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stdout = "";
      let stderr = "";
      const waiting = new Promise<void>((resolve) => {
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes("waiting")) resolve();
        });
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
      await waiting;
      expect(readFileSync(journal, "utf8")).toBe("initialize\n");
      child.kill(signal);
      expect(await exited).toBe(130);
      expect(readFileSync(journal, "utf8")).toBe("initialize\ncleanup\n");
      expect(stderr).toContain("interrupted; cleanup done");
      const [runId] = readdirSync(join(runs, "sigint"));
      const status = JSON.parse(readFileSync(join(runs, "sigint", runId!, "status.json"), "utf8"));
      expect((status as { status: string }).status).toBe("interrupted");
    },
  );
});
