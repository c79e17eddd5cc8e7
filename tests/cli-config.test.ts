// The config layer in-process: key locations, overrides, argument parsing, and the Python
// tipi's configs from the shared corpus (read structurally, every problem located).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { findCommand } from "../packages/cli/src/cli/definitions.ts";
import { UsageError } from "../packages/cli/src/cli/errors.ts";
import { parseArgs } from "../packages/cli/src/cli/parse-args.ts";
import { loadPipeline } from "../packages/cli/src/config/load-pipeline.ts";
import { applyOverrides, resolveOverrideKey } from "../packages/cli/src/config/overrides.ts";
import { type ConfigProblem, ConfigProblems } from "../packages/cli/src/config/problems.ts";
import { TomlLocations } from "../packages/cli/src/config/toml-locator.ts";
import { Registry } from "../packages/core/src/index.ts";

const CORPUS = fileURLToPath(new URL("../../shared/corpus/tipi-configs/", import.meta.url));

describe("TomlLocations", () => {
  const source = [
    '# [not.a.table] in a comment = "x"', // 1
    'title = "multi', // 2 (continues)
    'line" # "quoted" ]', // 3
    'text = """', // 4
    "[fake.header]", // 5
    '"""', // 6
    "[processes.train]", // 7
    'type = "Train"  # trailing', // 8
    "params = { lr = 0.1, nested = { depth = 2 }, list = [1, { x = 1 }] }", // 9
    "a.b.c = true", // 10
    '"quoted key" = 1', // 11
    "[[runs]]", // 12
    "name = 'first'", // 13
    "[[runs]]", // 14
    "  name = 'second'", // 15
    "arr = [", // 16
    "  1,", // 17
    "  2, # two", // 18
    "]", // 19
  ].join("\n");
  const at = new TomlLocations(source.replace('title = "multi\nline"', 'title = "multi line"'));
  const located = new TomlLocations(
    source.replace('title = "multi', "title = '''multi").replace('line" #', "line''' #"),
  );
  const pos = (path: (string | number)[]) => located.locate(path)?.position;

  test("keys after multi-line strings and fake headers keep their lines", () => {
    expect(pos(["processes", "train", "type"])).toEqual({ line: 8, column: 1 });
    expect(pos(["fake"])).toBeUndefined();
    expect(at.locate(["text"])?.position.line).toBe(3);
  });

  test("inline tables, nested tables and arrays inside them", () => {
    expect(pos(["processes", "train", "params", "lr"])).toEqual({ line: 9, column: 12 });
    expect(pos(["processes", "train", "params", "nested", "depth"])).toEqual({
      line: 9,
      column: 33,
    });
    expect(pos(["processes", "train", "params", "list", 1, "x"])).toEqual({ line: 9, column: 59 });
  });

  test("dotted and quoted keys, arrays of tables, multi-line arrays", () => {
    expect(pos(["processes", "train", "a", "b", "c"])).toEqual({ line: 10, column: 5 });
    expect(pos(["processes", "train", "quoted key"])).toEqual({ line: 11, column: 1 });
    expect(pos(["runs", 1, "name"])).toEqual({ line: 15, column: 3 });
    expect(pos(["runs", 1, "arr", 1])).toEqual({ line: 18, column: 3 });
  });

  test("an unwritten key falls back to its nearest written parent", () => {
    expect(located.locate(["processes", "train", "epochs"])).toEqual({
      position: { line: 7, column: 12 },
      exact: false,
    });
  });
});

describe("overrides", () => {
  const config = () => ({
    permanences: {
      hyperparameters: { type: "Hyperparameters", lr: 0.1 },
      data: { type: "Data", batch_size: 32 },
    },
    processes: { train: { type: "Train", params: { epochs: 3, verbose: false, name: "x" } } },
  });

  test.each([
    ["processes.train.epochs", ["processes", "train", "params", "epochs"]],
    ["train.epochs", ["processes", "train", "params", "epochs"]],
    ["train.force", ["processes", "train", "force"]],
    ["data.batch_size", ["permanences", "data", "batch_size"]],
    ["batch_size", ["permanences", "data", "batch_size"]],
    ["lr", ["permanences", "hyperparameters", "lr"]],
    ["momentum", ["permanences", "hyperparameters", "momentum"]],
  ])("%s lands at %j", (key, path) => {
    expect(resolveOverrideKey(config(), key)._unsafeUnwrap()).toEqual(path);
  });

  test("a bare key with no hyperparameters permanence: the hint names the entries there are", () => {
    // it said "e.g. training.epochs=3", an entry no tipi pipeline has
    const problem = resolveOverrideKey(
      { permanences: { device: { type: "Device" } }, processes: { fit: { type: "Train" } } },
      "epochs",
    )._unsafeUnwrapErr();
    expect(problem.hint).toBe("write <entry>.epochs, the entry one of device, fit");
  });

  test("values are typed like the value they replace, else as TOML literals", () => {
    const c = config();
    const { problems } = applyOverrides(c, [
      { key: "train.epochs", value: "5", source: "" },
      { key: "train.verbose", value: "true", source: "" },
      { key: "train.name", value: "42", source: "" },
      { key: "momentum", value: "0.9", source: "" },
      { key: "train.layers", value: "[64, 32]", source: "" },
      { key: "train.tag", value: "plain words", source: "" },
    ]);
    expect(problems).toEqual([]);
    expect(c.processes.train.params).toEqual({
      epochs: 5,
      verbose: true,
      name: "42",
      layers: [64, 32],
      tag: "plain words",
    });
    expect((c.permanences.hyperparameters as Record<string, unknown>).momentum).toBe(0.9);
  });

  test("a value that cannot take the type is left to the schema, with the message to report", () => {
    // (the schema may accept the other type: Device.workers is "auto" | a count)
    const c = config();
    const { applied, problems } = applyOverrides(c, [
      { key: "train.epochs", value: "x", source: "--set train.epochs=x" },
    ]);
    expect(problems).toEqual([]);
    expect(c.processes.train.params.epochs).toBe("x");
    expect(applied[0]?.mismatch).toContain("expected a number");
  });

  test("a [pipeline] value that cannot take the type is a problem at once (no schema there)", () => {
    const c = config() as Record<string, unknown>;
    c.pipeline = { seed: 1 };
    const { problems } = applyOverrides(c as ReturnType<typeof config>, [
      { key: "pipeline.seed", value: "x", source: "--set pipeline.seed=x" },
    ]);
    expect(problems[0]?.message).toContain("expected a number");
  });
});

describe("parseArgs", () => {
  const run = findCommand("run")!;

  test("sweep-agent flags, bare overrides and options mix", () => {
    const parsed = parseArgs(run, [
      "p",
      "--lr=0.01",
      "a.b=1",
      "--set",
      "c=2",
      "-c",
      "x.toml",
      "--no-progress",
      "--seed=3",
    ]);
    expect(parsed.positionals).toEqual(["p"]);
    expect(parsed.overrides.map((o) => `${o.key}=${o.value}`)).toEqual(["lr=0.01", "a.b=1", "c=2"]);
    expect(parsed.options).toMatchObject({ config: ["x.toml"], progress: false, seed: 3 });
  });

  test("an option missing its value is a usage error", () => {
    expect(() => parseArgs(run, ["p", "--run-dir"])).toThrow(UsageError);
  });
});

describe.skipIf(!existsSync(CORPUS))("the Python tipi's configs (shared corpus)", () => {
  const files = existsSync(CORPUS) ? readdirSync(CORPUS).sort() : [];

  async function problemsOf(file: string): Promise<readonly ConfigProblem[]> {
    const target = { kind: "toml" as const, file: join(CORPUS, file), defaultName: basename(file) };
    try {
      await loadPipeline(target, { registry: new Registry() });
      return [];
    } catch (error) {
      if (error instanceof ConfigProblems) return error.problems;
      throw error;
    }
  }

  test("the corpus is there", () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  test.each(files)("%s: read without a crash, every problem located at its key", async (file) => {
    const source = readFileSync(join(CORPUS, file), "utf8");
    const lines = source.split("\n");
    const problems = await problemsOf(file);
    if (file.startsWith("INVALID") || source.includes("{%")) {
      expect(problems).toHaveLength(1);
      expect(problems[0]?.message).toMatch(/^TOML syntax error/);
      expect(problems[0]?.position?.line).toBeGreaterThan(0);
      if (file.startsWith("INVALID")) expect(problems[0]?.position?.line).toBe(5);
      return;
    }
    const typed = [...source.matchAll(/^type = "([^"]+)"/gm)].map((m) => m[1]);
    const unknownTypes = problems.filter((p) =>
      /unknown (permanence|process) type/.test(p.message),
    );
    expect(unknownTypes.map((p) => p.message.match(/"(.+)"/)?.[1])).toEqual(typed);
    for (const problem of problems) {
      expect(problem.position, problem.message).toBeDefined();
      const key = String(problem.path?.at(-1));
      expect(lines[problem.position!.line - 1]).toContain(key);
    }
  });
});
