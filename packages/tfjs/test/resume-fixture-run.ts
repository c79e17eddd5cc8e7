// Runs resume-fixture.ts in a child process, for the SIGKILL-and-resume tests
// (resume.test.ts: one replica on cpu and wasm; replicas-resume.test.ts: two).
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const fixture = fileURLToPath(new URL("./resume-fixture.ts", import.meta.url));

export interface FixtureExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Its stdout lines (`checkpoint <n>`, `done <resumed from>`). */
  readonly lines: string[];
}

/**
 * Runs `resume-fixture.ts <backend> <checkpoint dir> <weights out> [replicas]`; `killWhen` sees
 * each stdout line and may SIGKILL the child. Rejects when it fails without being killed.
 */
export function runResumeFixture(
  args: string[],
  killWhen: (line: string, child: ChildProcess) => void = () => {},
): Promise<FixtureExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", fixture, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let pending = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        killWhen(line, child);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`fixture exited ${code}: ${stderr}`));
      else resolve({ code, signal, lines });
    });
  });
}

/** SIGKILLs the child `delayMs` after its `nth` checkpoint line: mid-step, mid-write. */
export const killAfterCheckpoint = (nth: number, delayMs: number) => {
  let seen = 0;
  return (line: string, child: ChildProcess) => {
    if (line.startsWith("checkpoint ") && ++seen === nth) {
      setTimeout(() => child.kill("SIGKILL"), delayMs);
    }
  };
};
