import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { killAfterCheckpoint, runResumeFixture } from "./resume-fixture-run.ts";

describe("2 replicas (worker threads), SIGKILL and resume on wasm", () => {
  it("finishes with the same weights, bit for bit, as an uninterrupted 2-replica run", async () => {
    const root = mkdtempSync(join(tmpdir(), "tipi-replicas-resume-"));
    const straightOut = join(root, "straight.bin");
    const resumedOut = join(root, "resumed.bin");
    const dir = join(root, "checkpoints");
    const [straight, killed] = await Promise.all([
      runResumeFixture(["wasm", join(root, "straight-checkpoints"), straightOut, "2"]),
      // A few ms after the second checkpoint: mid-step, with the replica workers running.
      runResumeFixture(["wasm", dir, resumedOut, "2"], killAfterCheckpoint(2, 5)),
    ]);
    expect(straight.lines.at(-1)).toBe("done 0");
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(resumedOut)).toBe(false);
    const finished = await runResumeFixture(["wasm", dir, resumedOut, "2"]);
    expect(Number(finished.lines.at(-1)?.replace("done ", ""))).toBeGreaterThan(0);
    expect(readFileSync(resumedOut).equals(readFileSync(straightOut))).toBe(true);
  });
});
