// --resume and damaged checkpoints: a skipped one is named; an unreadable directory is an error.
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { tipi } from "./fixtures/cli/run-tipi.ts";
import { writeTinyImages, writeTinyPipeline } from "./fixtures/cli/tiny-images.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-resume-checkpoints-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("tipi run --resume over damaged checkpoints", () => {
  test("an edited checkpoint header is skipped and named; an unreadable directory fails the run", async () => {
    await writeTinyImages(scratch);
    const pipeline = writeTinyPipeline(scratch, 10, 2);
    const run = join(scratch, "run");
    const first = await tipi(["run", pipeline, "--run-dir", run, "--no-progress"], {
      cwd: scratch,
      timeoutMs: 60_000,
    });
    expect(first.code, first.stderr).toBe(0);
    const checkpoints = join(run, "checkpoints");
    const files = readdirSync(checkpoints).sort();
    expect(files).toEqual(["step-000000000003.ckpt", "step-000000000006.ckpt"]);

    // Change the training state in the newest header, keeping it valid JSON of the same length.
    const newest = join(checkpoints, files[1]!);
    const bytes = readFileSync(newest);
    const at = bytes.indexOf('"epoch":1');
    expect(at).toBeGreaterThan(0);
    bytes.write('"epoch":0', at, "latin1");
    writeFileSync(newest, bytes);

    const resumed = await tipi(["run", pipeline, "--resume", run, "--no-progress"], {
      cwd: scratch,
      timeoutMs: 60_000,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      `warn: skipped damaged checkpoint ${newest}: checkpoint header checksum mismatch`,
    );
    const events = readFileSync(join(run, "events.jsonl"), "utf8");
    expect(events).toContain("resuming from step 3 ");

    // A checkpoint "directory" that cannot be read: an error, not a fresh start at step 0.
    renameSync(checkpoints, join(run, "checkpoints-moved"));
    writeFileSync(checkpoints, "not a directory");
    const unreadable = await tipi(["run", pipeline, "--resume", run, "--no-progress"], {
      cwd: scratch,
      timeoutMs: 60_000,
    });
    // (the run store meets it first: "cannot create …/checkpoints: a file is in the way"; the
    // Network's own check, "cannot read the checkpoint directory", is tested in packages/tfjs)
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain(checkpoints);
    expect(readFileSync(join(run, "events.jsonl"), "utf8")).not.toContain("starts at step 0");
  }, 120_000);
});
