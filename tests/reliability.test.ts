// No silent failure (issue 10): faults injected into real `tipi` subprocesses, each of which must
// end with cleanup, a clear message and the right exit code. docs/reliability.md maps every
// promise tipi makes to the test here that proves it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { tipi } from "./fixtures/cli/run-tipi.ts";

const FAULTS = "tests/fixtures/cli/faults";
const scratch = mkdtempSync(join(tmpdir(), "tipi-faults-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The only run directory under `<runs>/<pipeline>/`. */
function onlyRun(runs: string, pipeline: string): string {
  const ids = readdirSync(join(runs, pipeline));
  expect(ids).toHaveLength(1);
  return join(runs, pipeline, ids[0]!);
}

function statusOf(runDir: string): string {
  return (JSON.parse(readFileSync(join(runDir, "status.json"), "utf8")) as { status: string })
    .status;
}

describe.concurrent("a step that can never finish", () => {
  test.each([
    { output: "--no-progress", flags: ["--no-progress"] },
    { output: "plain lines", flags: [] },
  ])(
    "a promise that never settles ends the run: cleanup, a clear error, exit 1 ($output)",
    async ({ flags }) => {
      const runs = join(scratch, `hang${flags.join("")}`);
      const journal = join(scratch, `hang${flags.join("")}.journal`);
      const r = await tipi([
        "run",
        `${FAULTS}/hang.toml`,
        "--runs",
        runs,
        "--set",
        `journal.file=${journal}`,
        ...flags,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('step "stuck" stalled: it awaits a promise that can never settle');
      expect(readFileSync(journal, "utf8")).toBe("initialize\ncleanup\n");
      expect(statusOf(onlyRun(runs, "hang"))).toBe("failed");
    },
  );
});
