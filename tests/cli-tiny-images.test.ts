// A model too deep for its images is a config error (exit 2) naming the image size, not a
// wasm crash ("memory access out of bounds") or a process spinning forever.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadFashionMnist, saveImageFolder } from "../packages/tfjs/src/data/index.ts";
import { tipi } from "./fixtures/cli/run-tipi.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-tiny-images-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const pipeline = (size: number) => `
[pipeline]
name = "tiny-${size}"
logger = "none"

[permanences.device]
type = "Device"
backend = "wasm"

[permanences.hyperparameters]
type = "Hyperparameters"
epochs = 1
batchSize = 8

[permanences.data]
type = "Data"
source = "folder"
trainDir = "images"
size = [${size}, ${size}]
channels = 1
valFraction = 0

[permanences.network]
type = "Network"
architecture = "small-cnn"

[processes.train]
type = "TrainingProcess"
`;

describe("the small CNN on images smaller than 10×10", () => {
  test("8×8 is refused as a config error naming the size; 10×10 trains", async () => {
    await saveImageFolder(await loadFashionMnist("test"), join(scratch, "images"), { limit: 20 });
    for (const size of [8, 10]) {
      writeFileSync(join(scratch, `tiny-${size}.toml`), pipeline(size));
      const r = await tipi(
        [
          "run",
          join(scratch, `tiny-${size}.toml`),
          "--runs",
          join(scratch, "runs"),
          "--no-progress",
        ],
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
