import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { killAfterCheckpoint, runResumeFixture } from "./resume-fixture-run.ts";

describe.each(["cpu", "wasm"] as const)("SIGKILL and resume on %s", (backend) => {
  it("finishes with the same weights, bit for bit, as an uninterrupted run", async () => {
    const root = mkdtempSync(join(tmpdir(), `tipi-resume-${backend}-`));
    const straightOut = join(root, "straight.bin");
    const resumedOut = join(root, "resumed.bin");
    const dir = join(root, "checkpoints");

    const [straight, killed] = await Promise.all([
      runResumeFixture([backend, join(root, "straight-checkpoints"), straightOut]),
      runResumeFixture(
        [backend, dir, resumedOut],
        killAfterCheckpoint(2, Math.floor(Math.random() * 15)),
      ),
    ]);
    expect(straight.lines.at(-1)).toBe("done 0");
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(resumedOut)).toBe(false);

    // Kill the resumed run too, then let a third process finish.
    const again = await runResumeFixture([backend, dir, resumedOut], killAfterCheckpoint(3, 3));
    expect(again.signal).toBe("SIGKILL");
    const finished = await runResumeFixture([backend, dir, resumedOut]);
    const resumedFrom = Number(finished.lines.at(-1)?.replace("done ", ""));
    expect(resumedFrom).toBeGreaterThan(0);

    const a = readFileSync(straightOut);
    const b = readFileSync(resumedOut);
    expect(b.length).toBe(a.length);
    expect(b.equals(a)).toBe(true);
  });
});
