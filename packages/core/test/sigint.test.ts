import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const fixture = join(import.meta.dirname, "fixtures", "sigint-pipeline.ts");

function start(mode: "normal" | "hang") {
  const logFile = join(mkdtempSync(join(tmpdir(), "tipi-sigint-")), "log.txt");
  const child = spawn(process.execPath, ["--import", "tsx", fixture, logFile, mode], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return { child, logFile };
}

function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      if (buffer.includes(`${line}\n`)) resolve();
    });
    child.on("exit", () => reject(new Error(`exited before "${line}": ${buffer}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

describe("installSigintHandler (real SIGINT to a child process)", () => {
  it("the first Ctrl-C aborts the step, checkpoints, cleans up in reverse, exits 130", async () => {
    const { child, logFile } = start("normal");
    const exited = exitCode(child);
    await waitForLine(child, "ready");
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(readFileSync(logFile, "utf8").trim().split("\n")).toEqual([
      "step aborted",
      "checkpoint second interrupt",
      "cleanup second",
      "cleanup first",
      "result cancelled",
    ]);
  });

  it("a second Ctrl-C forces exit 130 while cleanup hangs", async () => {
    const { child, logFile } = start("hang");
    const exited = exitCode(child);
    await waitForLine(child, "ready");
    const hanging = waitForLine(child, "hanging");
    child.kill("SIGINT");
    await hanging;
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    const lines = readFileSync(logFile, "utf8").trim().split("\n");
    expect(lines).toContain("cleanup second");
    expect(lines).not.toContain("cleanup first");
  });
});
