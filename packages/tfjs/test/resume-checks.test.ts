import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TipiEvent } from "@tipi/core";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../src/backend/resolve-backend.ts";
import { Network } from "../src/permanences/network.ts";
import { train } from "../src/train/train-loop.ts";
import { blobs, flatWeights, tinyMlp } from "./train-helpers.ts";

beforeAll(async () => {
  await resolveBackend({ backend: "cpu" });
});

const common = { train: blobs(64, 8, 3), epochs: 2, batchSize: 16, seed: 3 } as const;

describe("resuming from damaged or unreadable checkpoints", () => {
  it("reports a skipped damaged checkpoint by name and resumes from the one before", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "tipi-resume-checks-")), "checkpoints");
    const straight = tinyMlp(8, 3);
    await train({ ...common, model: straight, checkpoint: { dir, everySteps: 2, keep: 5 } });
    const files = readdirSync(dir).sort();
    const newest = files.at(-1)!;
    writeFileSync(join(dir, newest), "damaged");

    const events: TipiEvent[] = [];
    const resumed = tinyMlp(8, 3);
    const result = await train({
      ...common,
      model: resumed,
      checkpoint: { dir, everySteps: 2, keep: 5 },
      resume: true,
      emit: (e) => events.push(e),
    });
    const warning = events.find((e) => e.type === "log" && e.level === "warn");
    expect(warning).toMatchObject({ message: expect.stringContaining(newest) });
    expect(result.resumedFromStep).toBeLessThan(8);
    expect(flatWeights(resumed)).toEqual(flatWeights(straight));
  });

  it("Network.restore fails on a checkpoint directory it cannot read", () => {
    const runDir = mkdtempSync(join(tmpdir(), "tipi-resume-checks-"));
    writeFileSync(join(runDir, "checkpoints"), "a file, not a directory");
    const network = new Network({ build: () => tinyMlp(8, 3) });
    expect(() => network.restore({ runDir, signal: new AbortController().signal })).toThrow(
      /cannot read the checkpoint directory/,
    );
  });
});
