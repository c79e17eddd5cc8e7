// A process's permanences (its class's `permanenceParams`) are checked when a TOML pipeline loads:
// a typo'd `[permanences.hyperparameter]` fails `tipi validate` and `tipi run` with exit 2, at the
// process's table, with a did-you-mean, and nothing runs (no run directory).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadPipeline } from "../packages/cli/src/config/load-pipeline.ts";
import { ConfigProblems, formatProblems } from "../packages/cli/src/config/problems.ts";
import { resolveTarget } from "../packages/cli/src/config/resolve-target.ts";
import { REPO, tipi } from "./fixtures/cli/run-tipi.ts";

const EXAMPLE = join(REPO, "examples/fashion-mnist/pipeline.toml");
const scratch = mkdtempSync(join(tmpdir(), "tipi-permanence-params-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The example in a folder of its own, with `edit` applied to its text. */
function example(name: string, edit: (source: string) => string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "pipeline.toml");
  const source = readFileSync(EXAMPLE, "utf8");
  const edited = edit(source);
  expect(edited).not.toBe(source);
  writeFileSync(file, edited);
  return file;
}

/** The problems `loadPipeline` reports for `file` (formatted as the CLI prints them). */
async function problemsOf(
  file: string,
  sets: readonly string[] = [],
  configFiles: readonly string[] = [],
): Promise<string> {
  const overrides = sets.map((set) => {
    const [key = "", value = ""] = set.split("=");
    return { key, value, source: `--set ${set}` };
  });
  try {
    await loadPipeline(resolveTarget(file), { overrides, configFiles });
  } catch (error) {
    if (error instanceof ConfigProblems) return formatProblems(error.problems);
    throw error;
  }
  return "";
}

/** The line (1-based) of `text` in `file`. */
function lineOf(file: string, text: string): number {
  return readFileSync(file, "utf8").split("\n").indexOf(text) + 1;
}

describe("a process's permanences, checked when the TOML loads", () => {
  test("[permanences.hyperparameter]: the train process's table, the class, a did-you-mean", async () => {
    const file = example("hyperparameter", (s) =>
      s.replace("[permanences.hyperparameters]", "[permanences.hyperparameter]"),
    );
    const out = await problemsOf(file);
    expect(out).toContain(
      `${file}:${lineOf(file, "[processes.train]")}:12: processes.train: process "train" (TrainingProcess) needs a Hyperparameters permanence named "hyperparameters", and there is none (permanences: device, hyperparameter, data, network)`,
    );
    expect(out).toContain(
      'hint: [permanences.hyperparameter]: did you mean hyperparameters? (rename the table to [permanences.hyperparameters], or set hyperparameters = "hyperparameter" in [processes.train])',
    );
  });

  test("[permanences.dataset]: both processes that read it, the one Data table suggested", async () => {
    const file = example("dataset", (s) =>
      s.replace("[permanences.data]", "[permanences.dataset]"),
    );
    const out = await problemsOf(file);
    expect(out).toContain(
      `:${lineOf(file, "[processes.train]")}:12: processes.train: process "train" (TrainingProcess) needs a Data permanence named "data"`,
    );
    expect(out).toContain(
      `:${lineOf(file, "[processes.evaluate]")}:12: processes.evaluate: process "evaluate" (EvaluationProcess) needs a Data permanence named "data"`,
    );
    expect(out).toContain("[permanences.dataset]: did you mean data? (rename the table");
  });

  test("a param that names the permanence is pointed at, and setting it fixes the file", async () => {
    const file = example("param", (s) =>
      s
        .replace("[permanences.data]", "[permanences.dataset]")
        .replace('type = "TrainingProcess"', 'type = "TrainingProcess"\ndata = "datasets"'),
    );
    const out = await problemsOf(file);
    expect(out).toContain(
      `:${lineOf(file, 'data = "datasets"')}:1: processes.train.data: process "train" (TrainingProcess) needs a Data permanence named "datasets"`,
    );
    // the overrides fix both processes: the file is then valid
    expect(
      await problemsOf(file, ["processes.train.data=dataset", "processes.evaluate.data=dataset"]),
    ).toBe("");
  });

  test("a permanence of another class under the name", async () => {
    const file = example("wrong-class", (s) =>
      s
        .replace("[permanences.hyperparameters]", "[permanences.hp]")
        .replace(
          "[permanences.data]",
          '[permanences.hyperparameters]\ntype = "Data"\nsource = "fashion-mnist"\n\n[permanences.data]',
        ),
    );
    const out = await problemsOf(file);
    expect(out).toContain(
      'process "train" (TrainingProcess) needs a Hyperparameters permanence named "hyperparameters", but [permanences.hyperparameters] is a Data',
    );
  });

  test("the shipped examples' TOML pipelines still load (an overlay over its folder's pipeline.toml)", async () => {
    const files = readdirSync(join(REPO, "examples"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".toml") && !f.includes("node_modules"))
      .map((f) => join(REPO, "examples", f));
    expect(files.length).toBeGreaterThan(2);
    const bad: string[] = [];
    for (const file of files) {
      // an overlay (`-c small.toml`) has no [pipeline] table
      const overlay = !readFileSync(file, "utf8").includes("[pipeline]");
      const out = await problemsOf(
        overlay ? join(dirname(file), "pipeline.toml") : file,
        [],
        overlay ? [file] : [],
      );
      if (out !== "") bad.push(out);
    }
    expect(bad).toEqual([]);
  });
});

describe("the built CLI (packages/cli/dist)", () => {
  const file = () =>
    example("cli", (s) =>
      s.replace("[permanences.hyperparameters]", "[permanences.hyperparameter]"),
    );

  test("tipi validate exits 2 with the located problem", async () => {
    const f = file();
    const r = await tipi(["validate", f], { cwd: join(scratch, "cli") });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `pipeline.toml:${lineOf(f, "[processes.train]")}:12: processes.train: process "train" (TrainingProcess) needs a Hyperparameters permanence named "hyperparameters"`,
    );
    expect(r.stderr).toContain("did you mean hyperparameters? (rename the table");
    expect(r.stdout).not.toContain("is valid");
  });

  test("tipi run exits 2 before anything runs: no run directory", async () => {
    const f = file();
    const cwd = join(scratch, "cli");
    const r = await tipi(["run", f, "--no-progress"], { cwd });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('needs a Hyperparameters permanence named "hyperparameters"');
    expect(readdirSync(cwd)).toEqual(["pipeline.toml"]);
  });

  test("a module pipeline: provide({ hyperparameter }) against trainJoin() fails validate and run, nothing runs", async () => {
    const module = join(REPO, "tests/fixtures/cli/module-typo/pipeline.ts");
    const cwd = join(scratch, "module");
    mkdirSync(cwd, { recursive: true });
    for (const command of ["validate", "run"]) {
      const args = command === "run" ? ["run", module, "--no-progress"] : ["validate", module];
      const r = await tipi(args, { cwd });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        'pipeline.ts: the "train" join needs a Hyperparameters permanence named "hyperparameters", and the pipeline provides none (permanences: hyperparameter, data, network)',
      );
      expect(r.stderr).toContain(
        'did you mean hyperparameters? (rename the key to hyperparameters, or pass { hyperparameters: "hyperparameter" } to the step\'s options)',
      );
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  test("the shipped example module that uses trainJoin() and evaluateStage() still validates", async () => {
    const r = await tipi(["validate", "examples/fashion-mnist/pipeline.ts"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("is valid");
  });
});
