// Bad configs and bad arguments: each must exit with the right code and a located message
// (file:line:column and the key path), with no stack trace unless --debug.
import { execFileSync, spawn } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { BIN, REPO, tipi } from "./fixtures/cli/run-tipi.ts";

const BAD = "tests/fixtures/cli/bad";
const BASIC = "tests/fixtures/cli/basic";
const FAULTS = "tests/fixtures/cli/faults";

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly code: number;
  /** Every one must appear in stderr (strings) or match it (regexps). */
  readonly expect: readonly (string | RegExp)[];
}

const CASES: readonly Case[] = [
  {
    name: "TOML syntax: a bare key without a value",
    args: ["validate", `${BAD}/syntax-bare-key.toml`],
    code: 2,
    expect: [`${BAD}/syntax-bare-key.toml:6:6: TOML syntax error`, "hint: a key needs a value"],
  },
  {
    name: "TOML syntax: an unterminated string",
    args: ["validate", `${BAD}/syntax-unclosed-string.toml`],
    code: 2,
    expect: [/syntax-unclosed-string\.toml:3:\d+: TOML syntax error/],
  },
  {
    name: "TOML syntax: a table defined twice",
    args: ["run", `${BAD}/duplicate-table.toml`],
    code: 2,
    expect: [/duplicate-table\.toml:4:\d+: TOML syntax error: .*redefine/],
  },
  {
    name: "unknown process type names the nearest registered one",
    args: ["validate", `${BAD}/unknown-process-type.toml`],
    code: 2,
    expect: [
      `${BAD}/unknown-process-type.toml:5:1: processes.hello.type: unknown process type "Ecoh"`,
      'hint: did you mean "Echo"?',
    ],
  },
  {
    name: "unknown permanence type",
    args: ["validate", `${BAD}/unknown-permanence-type.toml`],
    code: 2,
    expect: [
      `${BAD}/unknown-permanence-type.toml:5:1: permanences.journal.type: unknown permanence type "Jounral"`,
      'did you mean "Journal"?',
    ],
  },
  {
    name: "unknown parameter key",
    args: ["validate", `${BAD}/unknown-param.toml`],
    code: 2,
    expect: [`${BAD}/unknown-param.toml:6:1: processes.hello.txt: unknown key`],
  },
  {
    name: "parameter of the wrong type",
    args: ["run", `${BAD}/wrong-param-type.toml`],
    code: 2,
    expect: [
      `${BAD}/wrong-param-type.toml:6:1: processes.hello.times: expected a number, got "three"`,
    ],
  },
  {
    name: "a process without a type",
    args: ["validate", `${BAD}/missing-type.toml`],
    code: 2,
    expect: [`${BAD}/missing-type.toml:4:12: processes.hello.type: missing key \`type\``],
  },
  {
    name: "unknown top-level section",
    args: ["validate", `${BAD}/unknown-section.toml`],
    code: 2,
    expect: [
      `${BAD}/unknown-section.toml:4:2: procesess: unknown section`,
      'did you mean "processes"?',
    ],
  },
  {
    name: "the Python tipi's enable_tensorboard flag (its other flags load, with a note)",
    args: ["validate", `${BAD}/legacy-pipeline-key.toml`],
    code: 2,
    expect: [
      `${BAD}/legacy-pipeline-key.toml:4:1: pipeline.enable_tensorboard: TensorBoard is not supported by tipi`,
      'logger = "local"',
      'enable_wandb = true: tipi writes logger = "wandb"',
    ],
  },
  {
    name: "modules is not an array",
    args: ["validate", `${BAD}/modules-not-array.toml`],
    code: 2,
    expect: [`${BAD}/modules-not-array.toml:2:1: pipeline.modules: must be an array of strings`],
  },
  {
    name: "a module that does not exist",
    args: ["validate", `${BAD}/module-missing.toml`],
    code: 2,
    expect: [
      `${BAD}/module-missing.toml:2:12: pipeline.modules[0]: cannot load module "./missing-module.ts"`,
    ],
  },
  {
    name: "params = {…} and flat keys together",
    args: ["validate", `${BAD}/params-and-flat.toml`],
    code: 2,
    expect: [
      `${BAD}/params-and-flat.toml:7:1: processes.hello.times: unexpected key beside \`params\``,
    ],
  },
  {
    name: "a bad value inside an inline params table points at its key",
    args: ["validate", `${BAD}/params-inline-bad.toml`],
    code: 2,
    expect: [`${BAD}/params-inline-bad.toml:6:24: processes.hello.params.times: expected a number`],
  },
  {
    name: "all problems of a file at once",
    args: ["validate", `${BAD}/three-problems.toml`],
    code: 2,
    expect: [
      `${BAD}/three-problems.toml:6:1: permanences.journal.type`,
      `${BAD}/three-problems.toml:10:1: processes.hello.loud: expected a boolean`,
      `${BAD}/three-problems.toml:14:1: processes.train.epochz: unknown key`,
      "3 problems found; nothing ran.",
    ],
  },
  {
    name: "force must be a boolean",
    args: ["validate", `${BAD}/force-not-boolean.toml`],
    code: 2,
    expect: [`${BAD}/force-not-boolean.toml:6:1: processes.hello.force: must be true or false`],
  },
  {
    name: "logger must be a known backend",
    args: ["validate", `${BAD}/bad-logger.toml`],
    code: 2,
    expect: [
      `${BAD}/bad-logger.toml:3:1: pipeline.logger: must be one of "local", "wandb", "none"`,
    ],
  },
  {
    name: "--set of a number with text",
    args: ["validate", BASIC, "--set", "train.epochs=many"],
    code: 2,
    expect: ["command line: processes.train.epochs: --set train.epochs=many: expected a number"],
  },
  {
    name: "--set of an entry that does not exist",
    args: ["run", BASIC, "--set", "trian.epochs=1"],
    code: 2,
    expect: ['no permanence or process is called "trian"', 'did you mean "train"?'],
  },
  {
    name: "a bare key the hyperparameters schema does not know points at the command line",
    args: ["validate", BASIC, "momentum=0.9"],
    code: 2,
    expect: ["command line: permanences.hyperparameters.momentum: momentum=0.9: unknown key"],
  },
  {
    name: "--set of a key the process does not take points at the command line, not the file",
    args: ["validate", BASIC, "--set", "train.epochz=3"],
    code: 2,
    expect: ["command line: processes.train.epochz: --set train.epochz=3: unknown key"],
  },
  {
    name: "a sweep parameter the pipeline does not know: exit 2 before any trial",
    args: [
      "sweep",
      BASIC,
      `${FAULTS}/sweep-unknown-param.yaml`,
      "--runs",
      "tests/fixtures/cli/no-runs-here",
    ],
    code: 2,
    expect: [
      `${FAULTS}/sweep-unknown-param.yaml:7:3: parameter trian.epochs: unknown key "trian.epochs": no permanence or process is called "trian"`,
      'hint: did you mean "train"?',
      `${FAULTS}/sweep-unknown-param.yaml:11:7: permanences.hyperparameters.momentum: parameter hyperparameters.momentum: unknown key`,
      `${FAULTS}/sweep-unknown-param.yaml:13:7: permanences.hyperparameters.lr: parameter hyperparameters.lr: expected a number (it is 0.001), got "fast"`,
      "3 problems found; nothing ran.",
    ],
  },
  {
    name: "a random sweep without run_cap says so",
    args: [
      "sweep",
      BASIC,
      `${FAULTS}/sweep-random-no-cap.yaml`,
      "--runs",
      "tests/fixtures/cli/no-runs-here",
    ],
    code: 2,
    expect: [
      `tipi: ${FAULTS}/sweep-random-no-cap.yaml: a random sweep never ends on its own: it needs run_cap`,
      "or pass --count 20",
    ],
  },
  {
    name: "--key=value typed by the schema: a boolean flag given text",
    args: ["validate", BASIC, "--hello.loud=maybe"],
    code: 2,
    expect: [
      'command line: processes.hello.loud: --hello.loud=maybe: expected a boolean, got "maybe"',
    ],
  },
  {
    name: "a problem in a -c file is located in that file",
    args: ["validate", BASIC, "-c", `${BAD}/overlay-bad.toml`],
    code: 2,
    expect: [`${BAD}/overlay-bad.toml:3:1: processes.hello.times: expected a number, got "x"`],
  },
  {
    name: "unknown option with a suggestion",
    args: ["run", BASIC, "--dry-rn"],
    code: 2,
    expect: ['unknown option --dry-rn for "tipi run"', 'did you mean "--dry-run"?'],
  },
  {
    name: "unknown command",
    args: ["rnu", BASIC],
    code: 2,
    expect: ['unknown command "rnu"', 'did you mean "run"?'],
  },
  {
    name: "missing pipeline argument",
    args: ["run"],
    code: 2,
    expect: ['"tipi run" needs <pipeline>', "usage: tipi run <pipeline>"],
  },
  {
    name: "a pipeline name that exists nowhere",
    args: ["validate", "no-such-pipeline"],
    code: 2,
    expect: ['no pipeline "no-such-pipeline"'],
  },
  {
    name: "a directory without a pipeline",
    args: ["run", BAD],
    code: 2,
    expect: [`${BAD} holds no pipeline`],
  },
  {
    name: "--seed needs a number",
    args: ["run", BASIC, "--seed", "abc"],
    code: 2,
    expect: ['--seed expects a number, got "abc"'],
  },
  {
    name: "--resume of a run that does not exist",
    args: ["run", BASIC, "--resume", "nope", "--runs", "tests/fixtures/cli/no-runs-here"],
    code: 2,
    expect: ['no run "nope" of pipeline "basic"'],
  },
  {
    name: "a module whose default export is not a pipeline",
    args: ["run", `${BAD}/not-a-pipeline.ts`],
    code: 2,
    expect: ["the module's default export is not a pipeline"],
  },
  {
    name: "a module pipeline with an open join: exit 2 before any run, with the call to add",
    args: ["run", `${BAD}/open-join.ts`, "--runs", "tests/fixtures/cli/no-runs-here"],
    code: 2,
    expect: [
      `open-join.ts: join "train" has no implementation: the exported pipeline must call provideJoin("train", …)`,
      'hint: export default pipeline.provideJoin("train", trainJoin())',
      "1 problem found; nothing ran.",
    ],
  },
  {
    name: "a module importing a package that is not installed says how to install it",
    args: ["validate", `${BAD}/missing-package.ts`],
    code: 2,
    expect: [
      "cannot load the module: Cannot find package 'tipi-no-such-package'",
      'hint: "tipi-no-such-package" is not installed in this project: npm install tipi-no-such-package',
    ],
  },
  {
    name: "overrides on a module pipeline",
    args: ["run", "tests/fixtures/cli/module", "--set", "n=3"],
    code: 2,
    expect: ["config overrides need a TOML pipeline"],
  },
];

describe.concurrent("bad configs and arguments", () => {
  test("the table has at least 20 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  test.each(CASES)("$name", async ({ args, code, expect: expected }) => {
    const result = await tipi(args);
    for (const e of expected) {
      if (typeof e === "string") expect(result.stderr).toContain(e);
      else expect(result.stderr).toMatch(e);
    }
    expect(result.code).toBe(code);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    // never tipi's own install paths (dist/…, a bundle's chunk files)
    expect(result.stderr).not.toMatch(/\/dist\/|chunk-/);
    expect(result.stderr).not.toContain("internal error");
  });
});

describe.concurrent("a failing run", () => {
  test("exits 1 with the step and message, no stack trace", async () => {
    const result = await tipi([
      "run",
      `${BAD}/explode.toml`,
      "--runs",
      "runs/.cli-test",
      "--no-progress",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('✖ step "boom" failed: kaboom');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  test("--debug adds the stack trace", async () => {
    const result = await tipi([
      "run",
      `${BAD}/explode.toml`,
      "--runs",
      "runs/.cli-test",
      "--no-progress",
      "--debug",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\s+at .*Explode\.execute/m);
  });
});

describe.concurrent("a TypeScript file with a syntax error", () => {
  // Written at test time: a file that does not parse cannot live in the type-checked tree.
  const dir = mkdtempSync(join(tmpdir(), "tipi-syntax-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  writeFileSync(
    join(dir, "broken.ts"),
    "export const x = 1;\nexport default [1, 2].map((n) => n;\n",
  );
  writeFileSync(join(dir, "pipeline.toml"), '[pipeline]\nmodules = ["./broken.ts"]\n');

  test("tipi run names its line and column, with the line (not just 'Transform failed')", async () => {
    const result = await tipi(["run", "broken.ts", "--runs", "runs"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `${join(dir, "broken.ts")}:2:35: cannot load the module: Expected ")" but found ";"`,
    );
    expect(result.stderr).toContain("  2 | export default [1, 2].map((n) => n;");
    expect(result.stderr).toMatch(/\n {4}\| {35}\^\n/);
    expect(result.stderr).not.toContain("Transform failed");
    expect(existsSync(join(dir, "runs"))).toBe(false);
  });

  test("a [pipeline] module with a syntax error: the module's line in the TOML, and where", async () => {
    const result = await tipi(["validate", "pipeline.toml"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `pipeline.toml:2:12: pipeline.modules[0]: cannot load module "./broken.ts": Expected ")" but found ";" (${join(dir, "broken.ts")}:2:35)`,
    );
  });
});

test("a .ts pipeline in a CommonJS package: says so, and its hint followed literally works", async () => {
  // `npm init -y` writes no "type": Node then loads pipeline.ts as CommonJS, and the error
  // was "Cannot require() ES Module … in a cycle".
  const dir = mkdtempSync(join(tmpdir(), "tipi-cjs-"));
  try {
    writeFileSync(join(dir, "package.json"), '{ "name": "app", "version": "1.0.0" }\n');
    writeFileSync(join(dir, "pipeline.ts"), "export default { not: 'a pipeline' };\n");
    const before = await tipi(["validate", "pipeline.ts"], { cwd: dir });
    expect(before.code).toBe(2);
    expect(before.stderr).toContain(
      `cannot load the module: Node loads pipeline.ts as CommonJS (no "type": "module" in ${join(dir, "package.json")}), and tipi pipelines are ES modules`,
    );
    expect(before.stderr).toContain(
      `hint: npm pkg set type=module (in ${dir}), or rename the file to pipeline.mts`,
    );
    expect(before.stderr).not.toContain("in a cycle");
    execFileSync("npm", ["pkg", "set", "type=module"], { cwd: dir });
    const after = await tipi(["validate", "pipeline.ts"], { cwd: dir });
    expect(after.code).toBe(2);
    expect(after.stderr).toContain("the module's default export is not a pipeline");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an open join in a module pipeline makes no run directory", async () => {
  const runs = mkdtempSync(join(tmpdir(), "tipi-open-join-"));
  try {
    const result = await tipi(["run", `${BAD}/open-join.ts`, "--runs", runs]);
    expect(result.code).toBe(2);
    expect(readdirSync(runs)).toEqual([]);
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});

describe.concurrent('--set across a union: Device.workers is "auto" or a count', () => {
  // The value is typed like the one it replaces; the schema may take the other type.
  const dir = mkdtempSync(join(tmpdir(), "tipi-union-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const device = (workers: string) =>
    `[pipeline]\nname = "union"\n\n[permanences.device]\ntype = "Device"\nworkers = ${workers}\n`;
  writeFileSync(join(dir, "auto.toml"), device('"auto"'));
  writeFileSync(join(dir, "two.toml"), device("2"));

  test('workers = "auto" in the file, --set device.workers=1 (as docs/training.md says)', async () => {
    const result = await tipi(["run", "auto.toml", "--set", "device.workers=1", "--dry-run"], {
      cwd: dir,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"device":{"type":"Device","workers":1}');
  });

  test("workers = 2 in the file, --set device.workers=auto", async () => {
    const result = await tipi(["run", "two.toml", "--set", "device.workers=auto", "--dry-run"], {
      cwd: dir,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"device":{"type":"Device","workers":"auto"}');
  });

  test("a value neither reading takes is still one located problem", async () => {
    const result = await tipi(["validate", "two.toml", "--set", "device.workers=max"], {
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'command line: permanences.device.workers: --set device.workers=max: expected a number (it is 2), got "max"\n1 problem found; nothing ran.\n',
    );
  });
});

describe.concurrent("a config value written like an option, with a space", () => {
  test.each([
    [["--lr", "0.01"], "--lr=0.01"],
    [["--set", "lr", "0.01"], "--set lr=0.01"],
  ])("%j: the hint's spelling, run literally, works", async (written, suggested) => {
    const wrong = await tipi(["validate", BASIC, ...written]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`hint: `);
    expect(wrong.stderr).toContain(suggested);
    const right = await tipi(["validate", BASIC, ...suggested.split(" ")]);
    expect(right.stderr).toBe("");
    expect(right.code).toBe(0);
  });
});

describe.concurrent("a pipeline path with a typo, or from a subfolder", () => {
  const dir = mkdtempSync(join(tmpdir(), "tipi-paths-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "mine.toml"), '[pipeline]\nname = "mine"\n');
  mkdirSync(join(dir, "test"));

  test.each([
    ["min.toml", dir, "mine.toml"],
    ["mine", dir, "mine.toml"],
    ["mine/", dir, "mine.toml"],
    ["mine.toml", join(dir, "test"), "../mine.toml"],
  ])("%s (in %s): the hint names a file that runs", async (spec, cwd, suggested) => {
    const wrong = await tipi(["validate", spec], { cwd });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`hint: did you mean "${suggested}"?`);
    const right = await tipi(["validate", suggested], { cwd });
    expect(right.code).toBe(0);
  });
});

describe("runs made in the project folder, looked at from a subfolder", () => {
  // --runs defaults to runs/ of the working directory: `tipi runs` in test/ found nothing and
  // said only "no runs under runs".
  const dir = mkdtempSync(join(tmpdir(), "tipi-runs-above-"));
  const sub = join(dir, "test");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("tipi runs, report, runs --compare and --resume point at ../runs; adding it works", async () => {
    writeFileSync(join(dir, "mine.toml"), '[pipeline]\nname = "mine"\n');
    mkdirSync(sub);
    expect((await tipi(["run", "mine.toml", "--no-progress"], { cwd: dir })).code).toBe(0);
    const hint =
      "the runs are in ../runs (--runs is read from the working directory): add --runs ../runs";
    const runs = await tipi(["runs"], { cwd: sub });
    expect(runs.stdout).toBe(`no runs under runs\n  hint: ${hint}\n`);
    for (const args of [
      ["report"],
      ["runs", "--compare", "last", "last"],
      ["run", "../mine.toml", "--resume", "last"],
    ]) {
      const result = await tipi(args, { cwd: sub });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`hint: ${hint}`);
      const followed = await tipi([...args, "--runs", "../runs"], { cwd: sub });
      expect(followed.stderr).not.toContain("hint:");
    }
    const listed = await tipi(["runs", "--runs", "../runs"], { cwd: sub });
    expect(listed.stdout).toMatch(/mine\s+\d{8}-\d{6}-\w{4}\s+finished/);
    expect(existsSync(join(sub, "runs"))).toBe(false);
  });
});

describe.concurrent("a module without a default export", () => {
  const dir = mkdtempSync(join(tmpdir(), "tipi-no-default-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  // quacks like a pipeline (run, describe), so that the folder needs no installed tipi
  const pipelineLike =
    "{ run: async () => ({}), describe: () => ({ name: 'p', permanences: [], steps: [] }) }";

  test("a named export that is a pipeline: the hint is the line to add, and adding it works", async () => {
    writeFileSync(join(dir, "named.ts"), `export const mine = ${pipelineLike};\n`);
    const before = await tipi(["validate", "named.ts"], { cwd: dir });
    expect(before.code).toBe(2);
    expect(before.stderr).toContain("the module has no default export");
    expect(before.stderr).toContain("hint: add: export default mine;");
    appendFileSync(join(dir, "named.ts"), "export default mine;\n");
    const after = await tipi(["validate", "named.ts"], { cwd: dir });
    expect(after.stderr).toBe("");
    expect(after.code).toBe(0);
  });

  test("a script that runs its pipeline itself: says to export it, or to run the script", async () => {
    writeFileSync(join(dir, "script.ts"), 'console.log("a script");\n');
    const result = await tipi(["validate", "script.ts"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "hint: export default the pipeline, without calling run() in the module; or run the file as a script: npx tsx script.ts",
    );
  });
});

describe.concurrent("tipi sweep: what a person gets wrong first", () => {
  const SWEEP = "tests/fixtures/cli/sweep.yaml";
  test("the sweep file first: the hint is the command in the right order, which works", async () => {
    const wrong = await tipi(["sweep", SWEEP, BASIC, "--dry-run"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`${SWEEP} looks like the sweep file: the pipeline comes first`);
    const hint = /hint: npx tipi (sweep .+)$/m.exec(wrong.stderr)?.[1];
    expect(hint).toBe(`sweep ${BASIC} ${SWEEP}`);
    const right = await tipi([...hint!.split(" "), "--dry-run"]);
    expect(right.stderr).toBe("");
    expect(right.code).toBe(0);
  });

  test("a sweep file that is not there: the one that is", async () => {
    const result = await tipi(["sweep", BASIC, "tests/fixtures/cli/sweep.yml", "--dry-run"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'tipi: no sweep file tests/fixtures/cli/sweep.yml\n  hint: did you mean "tests/fixtures/cli/sweep.yaml"?\n',
    );
  });

  test("a .ts pipeline: says a sweep needs a TOML one (it said 'set values in the module')", async () => {
    const result = await tipi(["sweep", "tests/fixtures/cli/module", SWEEP, "--dry-run"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "a sweep passes its parameters to each trial as --set overrides, which need a TOML pipeline",
    );
    expect(result.stderr).not.toContain("set values in the module");
  });
});

test("tipi list in a project made by tipi init names its pipeline, not 'create one: tipi init'", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tipi-list-"));
  try {
    writeFileSync(join(dir, "pipeline.ts"), "export default {};\n");
    writeFileSync(join(dir, "mine.toml"), '[pipeline]\nname = "mine"\n');
    writeFileSync(join(dir, "other.toml"), 'title = "not a pipeline"\n');
    const result = await tipi(["list"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "no pipelines in pipelines/ or examples/; in this folder: mine.toml, pipeline.ts (tipi run <file>)\n",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("-c with a misspelt file: 'no such file' and the one that is there, which works", async () => {
  const wrong = await tipi(["validate", BASIC, "-c", "tests/fixtures/cli/overlay.tom"]);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toBe(
    'tests/fixtures/cli/overlay.tom: no such file\n  hint: did you mean "tests/fixtures/cli/overlay.toml"?\n1 problem found; nothing ran.\n',
  );
  const right = await tipi(["validate", BASIC, "-c", "tests/fixtures/cli/overlay.toml"]);
  expect(right.code).toBe(0);
});

test("an interrupted sweep prints the command that resumes it, and that command does", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tipi-sweep-int-"));
  try {
    const file = join(dir, "slow.yaml");
    writeFileSync(
      file,
      "method: grid\nmetric: {name: accuracy, goal: maximize}\nparameters:\n  train.epochs: {values: [1, 2]}\n  train.delay_ms: {value: 100}\n  train.batches: {value: 10}\n",
    );
    const args = ["sweep", BASIC, file, "--runs", join(dir, "runs")];
    // a terminal's Ctrl-C: SIGINT to the process group, once the first trial has started
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO,
      env: { ...process.env, CI: "" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes("trial-0001 started")) process.kill(-child.pid!, "SIGINT");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(130);
    const printed = /✖ sweep interrupted · resume: npx tipi (.+)$/m.exec(stderr)?.[1];
    expect(printed).toBe(args.join(" "));
    const resumed = await tipi(printed!.split(" "));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/trial-0001\s+finished/);
    expect(resumed.stdout).toMatch(/trial-0002\s+finished/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test("tipi runs: a run left 'running' by a process that is gone shows as crashed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tipi-crashed-"));
  try {
    writeFileSync(join(dir, "mine.toml"), '[pipeline]\nname = "mine"\n');
    expect((await tipi(["run", "mine.toml", "--no-progress"], { cwd: dir })).code).toBe(0);
    const [runId] = readdirSync(join(dir, "runs", "mine"));
    // what a SIGKILLed run leaves: status.json still "running", with a pid that is gone
    const gone = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => gone.on("close", resolve));
    const status = join(dir, "runs", "mine", runId!, "status.json");
    writeFileSync(
      status,
      JSON.stringify({ status: "running", updatedAt: new Date().toISOString(), pid: gone.pid }),
    );
    const listed = await tipi(["runs"], { cwd: dir });
    expect(listed.stdout).toMatch(new RegExp(`mine\\s+${runId}\\s+crashed`));
    // a live process keeps "running"
    writeFileSync(
      status,
      JSON.stringify({ status: "running", updatedAt: new Date().toISOString(), pid: process.pid }),
    );
    expect((await tipi(["runs"], { cwd: dir })).stdout).toMatch(/\srunning\s/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.concurrent("the docs' examples/fashion-mnist, typed in a project of one's own", () => {
  const dir = mkdtempSync(join(tmpdir(), "tipi-docs-example-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "fm"));
  writeFileSync(join(dir, "fm", "pipeline.toml"), '[pipeline]\nname = "fashion-mnist"\n');

  test("in a project made by init --example: its pipeline.toml, which runs", async () => {
    const cwd = join(dir, "fm");
    const wrong = await tipi(["validate", "examples/fashion-mnist"], { cwd });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      'hint: did you mean "pipeline.toml"? (its [pipeline] name is "fashion-mnist")',
    );
    expect((await tipi(["validate", "pipeline.toml"], { cwd })).code).toBe(0);
  });

  test("elsewhere: where the example comes from", async () => {
    const result = await tipi(["validate", "examples/fashion-mnist"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "hint: examples/fashion-mnist is in tipi's repository; `npx tipi init <dir> --example fashion-mnist` writes it into a new project, as pipeline.toml",
    );
  });
});

test("--seed on a module pipeline says that it does not reach the module", async () => {
  // it was recorded in meta.json as the run's seed while the module's own seeds trained it
  const runs = mkdtempSync(join(tmpdir(), "tipi-module-seed-"));
  try {
    const result = await tipi(["run", "tests/fixtures/cli/module", "--seed", "7", "--runs", runs]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "note: --seed 7 does not reach pipeline.ts, a module (it is only recorded with the run)",
    );
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});
