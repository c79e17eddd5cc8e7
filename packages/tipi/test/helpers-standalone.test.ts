import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { startFakeWandbServer } from "@tipi/wandb/testing";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../../..");
const tsx = join(repo, "node_modules/.bin/tsx");
const script = join(import.meta.dirname, "fixtures/standalone-script.ts");

interface ScriptOutput {
  run: { mode: string; runId: string; runDir: string };
  first: { backend: string; source: string };
  second: { backend: string; source: string };
  sum: number;
}

describe("helpers in a plain script (subprocess)", () => {
  it("draws sparse progress lines without a TTY, writes a run directory, picks a backend once", async () => {
    const root = mkdtempSync(join(tmpdir(), "tipi-standalone-"));
    const { stdout, stderr } = await run(tsx, [script, join(root, "runs"), "1000"], {
      cwd: root,
      env: { ...process.env, CI: "", TIPI_BACKEND: "" },
    });
    const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as ScriptOutput;
    expect(out.sum).toBe(2 * 499_500);

    // Progress: plain lines on stderr, a handful per bar rather than one per item.
    const lines = stderr.split("\n").filter((l) => l.includes("Epoch"));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeLessThanOrEqual(15);
    expect(lines.at(-1)).toMatch(/Epoch \[█+\] 100% 2\/2/);
    expect(stderr).not.toContain(`${String.fromCharCode(27)}[`); // no ANSI escapes without a TTY

    // Logger: a run directory with config (secret redacted), history, summary, status.
    expect(out.run.mode).toBe("standalone");
    const dir = out.run.runDir;
    expect(dir.startsWith(join(root, "runs", "standalone"))).toBe(true);
    const history = readFileSync(join(dir, "history.jsonl"), "utf8").trim().split("\n");
    expect(history).toHaveLength(20);
    expect(JSON.parse(history[19]!)).toMatchObject({ step: 20, values: { value: 900, epoch: 1 } });
    expect(JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"))).toMatchObject({
      value: 900,
    });
    expect(JSON.parse(readFileSync(join(dir, "status.json"), "utf8")).status).toBe("finished");
    const config = readFileSync(join(dir, "config.json"), "utf8");
    expect(config).toContain('"items": 1000');
    expect(config).not.toContain("sk-secret");

    // Device: resolved by the helper itself, the same choice both times.
    expect(out.first.source).toBe("standalone");
    expect(["wasm", "cpu", "tensorflow", "tensorflow-gpu"]).toContain(out.first.backend);
    expect(out.second).toEqual(out.first);
  });

  it("renders one live bar line with ora in a terminal", async () => {
    const root = mkdtempSync(join(tmpdir(), "tipi-standalone-tty-"));
    const command = `stty cols 120 rows 40; ${tsx} ${script} ${join(root, "runs")} 3000`;
    const { stdout } = await run("script", ["-qfec", command, "/dev/null"], {
      cwd: root,
      env: { ...process.env, CI: "", TERM: "xterm-256color" },
    });
    expect(stdout).toContain("Batch ["); // nested bar shown on the same line as the epoch bar
    expect(stdout).toMatch(/Epoch \[.*│ {2}Batch \[/);
    expect(stdout).toMatch(/✔ Epoch \[█+\] 100% 2\/2/); // persisted final line
    expect(existsSync(join(root, "runs", "standalone"))).toBe(true);
    expect(readdirSync(join(root, "runs", "standalone"))).toHaveLength(1);
  });

  it("also streams the run to W&B when asked (fake W&B server on 127.0.0.1)", async (ctx) => {
    const apiKey = "local-tipitest0123456789abcdef0123456789abcd";
    const server = await startFakeWandbServer({ apiKey });
    ctx.onTestFinished(() => server.close());
    const root = mkdtempSync(join(tmpdir(), "tipi-standalone-wandb-"));
    const { stdout } = await run(tsx, [script, join(root, "runs"), "300", server.url], {
      cwd: root,
      env: { ...process.env, CI: "", WANDB_API_KEY: apiKey },
    });
    const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as ScriptOutput;
    const wandbRun = server.run();
    expect(wandbRun.project).toBe("standalone");
    expect(wandbRun.complete).toEqual({ exitcode: 0 });
    expect([...wandbRun.history.values()].map((row) => row.value)).toEqual([
      0, 100, 200, 0, 100, 200,
    ]);
    // The local run directory is written too, and is the source of truth.
    const local = readFileSync(join(out.run.runDir, "history.jsonl"), "utf8").trim().split("\n");
    expect(local).toHaveLength(6);
    expect(JSON.parse(readFileSync(join(out.run.runDir, "status.json"), "utf8")).status).toBe(
      "finished",
    );
  });
});
