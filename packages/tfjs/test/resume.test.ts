import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./resume-fixture.ts", import.meta.url));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
}

/** Runs the fixture; `killWhen` sees each stdout line and may SIGKILL the child. */
function runFixture(
  args: string[],
  killWhen: (line: string, child: ChildProcess) => void = () => {},
): Promise<Exit> {
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

/** SIGKILLs the child a few milliseconds after its `nth` checkpoint line: mid-step, mid-write. */
const killAfterCheckpoint = (nth: number, delayMs: number) => {
  let seen = 0;
  return (line: string, child: ChildProcess) => {
    if (line.startsWith("checkpoint ") && ++seen === nth) {
      setTimeout(() => child.kill("SIGKILL"), delayMs);
    }
  };
};

describe.each(["cpu", "wasm"] as const)("SIGKILL and resume on %s", (backend) => {
  it("finishes with the same weights, bit for bit, as an uninterrupted run", async () => {
    const root = mkdtempSync(join(tmpdir(), `tipi-resume-${backend}-`));
    const straightOut = join(root, "straight.bin");
    const resumedOut = join(root, "resumed.bin");
    const dir = join(root, "checkpoints");

    const [straight, killed] = await Promise.all([
      runFixture([backend, join(root, "straight-checkpoints"), straightOut]),
      runFixture(
        [backend, dir, resumedOut],
        killAfterCheckpoint(2, Math.floor(Math.random() * 15)),
      ),
    ]);
    expect(straight.lines.at(-1)).toBe("done 0");
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(resumedOut)).toBe(false);

    // Kill the resumed run too, then let a third process finish.
    const again = await runFixture([backend, dir, resumedOut], killAfterCheckpoint(3, 3));
    expect(again.signal).toBe("SIGKILL");
    const finished = await runFixture([backend, dir, resumedOut]);
    const resumedFrom = Number(finished.lines.at(-1)?.replace("done ", ""));
    expect(resumedFrom).toBeGreaterThan(0);

    const a = readFileSync(straightOut);
    const b = readFileSync(resumedOut);
    expect(b.length).toBe(a.length);
    expect(b.equals(a)).toBe(true);
  });
});
