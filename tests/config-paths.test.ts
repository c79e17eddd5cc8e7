// Every path in a TOML file resolves relative to that file; `tipi validate` checks they exist and
// that no join is left open (issue 10, item 12).
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { REPO, tipi } from "./fixtures/cli/run-tipi.ts";

const PATHS = join(REPO, "tests/fixtures/cli/paths");

describe.concurrent("paths in a TOML file", () => {
  test("Network.module is loaded from the config file's folder, whatever the working directory", async () => {
    const r = await tipi(
      ["run", join(PATHS, "nested"), "--runs", join(REPO, "runs/.cli-test"), "--no-progress"],
      { cwd: join(REPO, "tests"), timeoutMs: 60_000 },
    );
    expect(r.stderr).toContain("marker-model.ts was loaded from the config file's folder");
    expect(r.code).toBe(1);
  });

  test("a -c overlay's paths are relative to the overlay", async () => {
    const r = await tipi([
      "validate",
      join(PATHS, "nested"),
      "-c",
      join(PATHS, "overlay/network.toml"),
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("a --set path is relative to the working directory", async () => {
    const set = ["--set", "network.module=models/marker-model.ts"];
    const here = await tipi(["validate", join(PATHS, "nested"), ...set], {
      cwd: join(PATHS, "nested"),
    });
    expect(here.code).toBe(0);
    const elsewhere = await tipi(["validate", join(PATHS, "nested"), ...set], { cwd: PATHS });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(
      "command line: permanences.network.module: --set network.module=models/marker-model.ts: no such file or directory",
    );
  });

  test("tipi validate: files that do not exist and an open join, each at its line, exit 2", async () => {
    const file = "tests/fixtures/cli/paths/missing-files.toml";
    const r = await tipi(["validate", file]);
    expect(r.code).toBe(2);
    for (const line of [
      `${file}:8:1: permanences.data.trainImages: no such file or directory: tests/fixtures/cli/paths/data/train-images.gz (relative to the config file)`,
      `${file}:9:1: permanences.data.trainLabels: no such file or directory: /nonexistent/train-labels.gz`,
      `${file}:13:1: permanences.network.module: no such file or directory: tests/fixtures/cli/paths/models/none.ts (relative to the config file)`,
      `${file}:16:1: processes.fit.join: join "train" has no implementation: a TOML pipeline cannot provide one`,
      "4 problems found; nothing ran.",
    ])
      expect(r.stderr).toContain(line);
  });
});
