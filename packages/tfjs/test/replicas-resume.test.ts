import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./resume-fixture.ts", import.meta.url));

/** Runs resume-fixture.ts with 2 replicas; `kill` may SIGKILL it on a stdout line. */
function runFixture(
  args: string[],
  kill: (line: string, child: ChildProcess) => void = () => {},
): Promise<{ signal: NodeJS.Signals | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", fixture, ...args, "2"], {
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
        kill(line, child);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`fixture exited ${code}: ${stderr}`));
      else resolve({ signal, lines });
    });
  });
}

describe("2 replicas (worker threads), SIGKILL and resume on wasm", () => {
  it("finishes with the same weights, bit for bit, as an uninterrupted 2-replica run", async () => {
    const root = mkdtempSync(join(tmpdir(), "tipi-replicas-resume-"));
    const straightOut = join(root, "straight.bin");
    const resumedOut = join(root, "resumed.bin");
    const dir = join(root, "checkpoints");
    let seen = 0;
    const [straight, killed] = await Promise.all([
      runFixture(["wasm", join(root, "straight-checkpoints"), straightOut]),
      runFixture(["wasm", dir, resumedOut], (line, child) => {
        // A few ms after the second checkpoint: mid-step, with the replica workers running.
        if (line.startsWith("checkpoint ") && ++seen === 2) {
          setTimeout(() => child.kill("SIGKILL"), 5);
        }
      }),
    ]);
    expect(straight.lines.at(-1)).toBe("done 0");
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(resumedOut)).toBe(false);
    const finished = await runFixture(["wasm", dir, resumedOut]);
    expect(Number(finished.lines.at(-1)?.replace("done ", ""))).toBeGreaterThan(0);
    expect(readFileSync(resumedOut).equals(readFileSync(straightOut))).toBe(true);
  });
});
