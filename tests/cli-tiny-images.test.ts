// A model too deep for its images is a config error (exit 2) naming the image size, not a
// wasm crash ("memory access out of bounds") or a process spinning forever.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { tipi } from "./fixtures/cli/run-tipi.ts";
import { writeTinyImages, writeTinyPipeline } from "./fixtures/cli/tiny-images.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-tiny-images-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the small CNN on images smaller than 10×10", () => {
  test("8×8 is refused as a config error naming the size; 10×10 trains", async () => {
    await writeTinyImages(scratch);
    for (const size of [8, 10]) {
      const r = await tipi(
        ["run", writeTinyPipeline(scratch, size), "--runs", join(scratch, "runs"), "--no-progress"],
        { cwd: scratch, timeoutMs: 60_000 },
      );
      if (size === 8) {
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain('the "small-cnn" architecture is too deep for 8×8 images');
      } else {
        expect(r.code, r.stderr).toBe(0);
      }
    }
  }, 120_000);
});
