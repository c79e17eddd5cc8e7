// validate, graph, run and list agree on a pipeline's name and its steps (issue 15, item 5).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { FIXTURES, tipi } from "./fixtures/cli/run-tipi.ts";

const cwd = join(FIXTURES, "names");
const runs = mkdtempSync(join(tmpdir(), "tipi-names-"));
afterAll(() => rmSync(runs, { recursive: true, force: true }));

describe.concurrent("names and step counts", () => {
  test("validate counts every step graph lists and run numbers, a through check included", async () => {
    const [validate, graph, run] = await Promise.all([
      tipi(["validate", "checked"], { cwd }),
      tipi(["graph", "checked", "--json"], { cwd }),
      tipi(["run", "checked", "--runs", runs], { cwd }),
    ]);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toBe(
      '✔ pipelines/checked.ts: pipeline "checked-steps" is valid (0 permanences, 4 steps)\n',
    );
    const steps = (JSON.parse(graph.stdout) as { steps: { kind: string }[] }).steps;
    expect(steps.map((s) => s.kind)).toEqual(["stage", "through", "stage", "io"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^▶ checked-steps \(run \S+\): 4 steps$/m);
    expect(run.stdout).toMatch(/^✔ \[4\/4\] report/m);
  });

  test("graph prints the pipeline's name as written", async () => {
    const [module, toml] = await Promise.all([
      tipi(["graph", "checked"], { cwd }),
      tipi(["graph", "my-copy"], { cwd }),
    ]);
    expect(module.stdout.split("\n")[0]).toBe("checked-steps");
    expect(toml.stdout.split("\n")[0]).toBe("original-name");
  });

  test("list gives the name to type and, when it differs, the pipeline's own", async () => {
    const [text, json] = await Promise.all([
      tipi(["list"], { cwd }),
      tipi(["list", "--json"], { cwd }),
    ]);
    expect(text.stdout).toBe(
      [
        "checked  pipelines/checked.ts",
        'my-copy  examples/my-copy/pipeline.toml  (pipeline "original-name") A copy that kept its name',
        "",
      ].join("\n"),
    );
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ name: "checked", kind: "module" }),
      expect.objectContaining({ name: "my-copy", pipeline: "original-name", kind: "toml" }),
    ]);
    // the name list gives is the one run, validate and graph take
    const validate = await tipi(["validate", "my-copy"], { cwd });
    expect(validate.stdout).toContain('pipeline "original-name" is valid (0 permanences, 1 step)');
  });
});
