// Every shell command of the docs that runs tipi runs here, through the built CLI, against the
// shipped examples made small; every sample output is compared with the real one
// (tests/doc-commands.ts says how, and how a block is marked as not runnable).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCommand } from "../packages/cli/src/cli/definitions.ts";
import { parseArgs } from "../packages/cli/src/cli/parse-args.ts";
import { type FakeWandbServer, startFakeWandbServer } from "../packages/wandb/src/testing/index.ts";
import {
  classify,
  matchOutput,
  normalise,
  type PageReport,
  parseShell,
  REPO,
  runPage,
  runsTipi,
} from "./doc-commands.ts";
import { docFiles, extractBlocks } from "./docs-checker.ts";

/** A tipi command that is not run must at least parse: its command and options exist. */
function checkArgs(args: readonly string[]): string | undefined {
  const [name, ...rest] = args;
  const command = name === undefined ? undefined : findCommand(name);
  if (command === undefined) return `no tipi command "${name}"`;
  try {
    parseArgs(command, rest);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * A not-run `tipi run|validate|graph <pipeline>` with config overrides: the `tipi validate` that
 * checks them (each as `--set key=value`; `--seed` and the run's own options dropped). Nothing
 * when it has no overrides, or merges a `-c` file the page may not have written.
 */
function validateArgs(args: readonly string[]): readonly string[] | undefined {
  const [name, ...rest] = args;
  if (name !== "run" && name !== "validate" && name !== "graph") return undefined;
  const { positionals, options, overrides } = parseArgs(findCommand(name)!, rest);
  const target = positionals[0];
  if (target === undefined || overrides.length === 0 || options.config !== undefined)
    return undefined;
  return ["validate", target, ...overrides.flatMap((o) => ["--set", `${o.key}=${o.value}`])];
}

describe("the doc-command runner", () => {
  it("splits a block into commands with their lines, env and comments", () => {
    const commands = parseShell({
      line: 10,
      code: [
        "npm i -g pnpm@9 && pnpm install && pnpm tipi run examples/x   # trains",
        "WANDB_API_KEY=… npx tipi sync last --project 'my project'",
        "cd my-project; npm start",
      ].join("\n"),
    });
    expect(commands.map((c) => [c.line, c.argv.join(" ")])).toEqual([
      [11, "npm i -g pnpm@9"],
      [11, "pnpm install"],
      [11, "pnpm tipi run examples/x"],
      [12, "npx tipi sync last --project my project"],
      [13, "cd my-project"],
      [13, "npm start"],
    ]);
    expect(commands[2]!.comment).toBe("trains");
    expect(commands[3]!.env).toEqual({ WANDB_API_KEY: "…" });
    expect(commands.map((c) => classify(c.argv).kind)).toEqual([
      "skip",
      "install",
      "tipi",
      "tipi",
      "cd",
      "script",
    ]);
    expect(classify(["npm", "install", "tipi"]).kind).toBe("skip");
    expect(classify(["pnpm", "tsx", "train.ts"]).kind).toBe("skip");
    expect(classify(["pnpm", "-w", "tipi", "list"])).toEqual({ kind: "tipi", args: ["list"] });
  });

  it("compares outputs modulo ids, times, numbers, spacing, bars and …", () => {
    const sample = [
      "▶ fashion-mnist (run 20261123-142037-fyqp): 2 steps",
      "…",
      "✔ [1/2] train (14m 15s)",
      "  train/loss=0.281 … test/accuracy=0.883",
      "✔ fashion-mnist finished in 14m 18s · runs/fashion-mnist/20261123-142037-fyqp",
    ].join("\n");
    const real = [
      "▶ fashion-mnist (run 20261202-042623-ixm0): 2 steps",
      "backend: wasm (…)",
      "  Batch 1/4 (25%) · loss 2.2716 acc 0.1094",
      "✔ [1/2] train (560ms)",
      "  train/loss=2.22 lr=2.93e-4 test/accuracy=0.265",
      "✔ fashion-mnist finished in 1.1s · /tmp/ws/runs/fashion-mnist/20261202-042623-ixm0",
      "",
    ].join("\n");
    expect(matchOutput(sample, real, "/tmp/ws")).toBeUndefined();
    expect(normalise("a  b   0.25 1e-4 7\n")).toEqual(["a b <num> <num> 7"]);
    // an integer is not a placeholder: "3 steps" is not "2 steps"
    expect(matchOutput(sample.replace("2 steps", "3 steps"), real, "/tmp/ws")).toMatch(/sample/);
    // every real line must be accounted for
    expect(matchOutput(sample.replace("…\n", ""), real, "/tmp/ws")).toMatch(/sample/);
  });

  it("finds tipi blocks, not-run markers and output blocks", () => {
    const blocks = extractBlocks(
      [
        "<!-- not-run: needs a GPU -->",
        "```sh",
        "pnpm tipi run x",
        "```",
        "```sh",
        "pnpm tsx y.ts",
        "```",
        "```text output",
        "✔ done",
        "```",
      ].join("\n"),
      "fixture.md",
    );
    expect(blocks.map((b) => [b.attrs["not-run"], runsTipi(b), b.flags])).toEqual([
      ["needs a GPU", true, []],
      [undefined, false, []],
      [undefined, false, ["output"]],
    ]);
  });
});

describe("a page run by the runner", () => {
  const fixture = [
    "# Fixture", //                                               1
    "", //                                                        2
    "```toml save-as=bad.toml", //                                3
    "[permanences.hyperparameters]", //                           4
    'type = "Hyperparameters"', //                                5
    "epoch = 3", //                                               6
    "```", //                                                     7
    "", //                                                        8
    "```sh exit=2", //                                            9
    "npx tipi validate bad.toml", //                             10
    "```", //                                                    11
    "", //                                                       12
    "```text output", //                                         13
    "bad.toml:3:1: permanences.hyperparameters.epoch: unknown key", // 14
    "…", //                                                      15
    "1 problem found; nothing ran.", //                          16
    "```", //                                                    17
    "", //                                                       18
    "```sh", //                                                  19
    "$ tipi validate examples/fashion-mnist", //                 20
    "```", //                                                    21
    "", //                                                       22
    "```text output", //                                         23
    '✔ examples/fashion-mnist/pipeline.toml: pipeline "fashion-mnist" is valid (9 permanences, 2 steps)', // 24
    "```", //                                                    25
    "", //                                                       26
    "<!-- not-run: a fixture -->", //                            27
    "```sh", //                                                  28
    "npx tipi run examples/fashion-mnist --no-such-flag", //     29
    "npx tipi run examples/fashion-mnist --batch_size=64 --runs out", // 30
    "npx tipi run examples/fashion-mnist --learningRate=0.01 hyperparameters.batchSize=32", // 31
    "```", //                                                    32
    "", //                                                       33
    "```text", //                                                34
    "✔ looks like tipi", //                                      35
    "```", //                                                    36
    "", //                                                       37
    "```sh", //                                                  38
    "npx tipi validate no-such-pipeline", //                     39
    "```", //                                                    40
  ].join("\n");
  let report: PageReport;
  beforeAll(async () => {
    report = await runPage("fixture.md", fixture, { checkArgs, validateArgs });
  }, 120_000);

  it("runs the blocks in order: a saved file, the expected exit code, a matching sample", () => {
    expect(report.runs.map((r) => [r.line, r.code])).toEqual([
      [10, 2],
      [20, 0],
      [39, 2],
    ]);
  });

  it("reports a wrong sample, a bad not-run command or override, an unmarked output and a failed command", () => {
    expect(report.failures.map((f) => f.split("\n")[0])).toEqual([
      "fixture.md:23: does not match the output of `$ tipi validate examples/fashion-mnist` (fixture.md:20)",
      'fixture.md:29: `npx tipi run examples/fashion-mnist --no-such-flag`: unknown option --no-such-flag for "tipi run"',
      "fixture.md:30: `npx tipi run examples/fashion-mnist --batch_size=64 --runs out`: its overrides fail `tipi validate examples/fashion-mnist --set batch_size=64` (exit 2):",
      "fixture.md:34: looks like tipi's output: mark it ```text output (or <!-- not-run: reason -->)",
      "fixture.md:39: `npx tipi validate no-such-pipeline` (in .) exited 2, expected 0:",
    ]);
    // the real error, with its did-you-mean
    expect(report.failures[2]).toMatch(/batch_size[\s\S]*batchSize/);
    expect(report.notRun).toEqual([
      "fixture.md:29: npx tipi run examples/fashion-mnist --no-such-flag (a fixture)",
      "fixture.md:30: npx tipi run examples/fashion-mnist --batch_size=64 --runs out (a fixture)",
      "fixture.md:31: npx tipi run examples/fashion-mnist --learningRate=0.01 hyperparameters.batchSize=32 (a fixture)",
    ]);
  });
});

describe("docs commands", () => {
  // TIPI_DOC_PAGES=docs/cli.md,README.md runs only those pages (while editing them).
  const only = process.env.TIPI_DOC_PAGES?.split(",");
  const files = docFiles().filter((f) => only === undefined || only.includes(f));
  const pages = files
    .map((file) => ({ file, text: readFileSync(join(REPO, file), "utf8") }))
    .filter(({ file, text }) =>
      extractBlocks(text, file).some(
        (b) => runsTipi(b) || b.flags.includes("output") || b.lang === "text",
      ),
    );
  const reports = new Map<string, PageReport>();
  let server: FakeWandbServer;
  const key = "d".repeat(40);

  beforeAll(async () => {
    server = await startFakeWandbServer({ apiKey: key });
    const env = { WANDB_API_KEY: key, WANDB_BASE_URL: server.url };
    // Two pages at a time: CI has two cores.
    const queue = [...pages];
    const worker = async () => {
      for (let page = queue.shift(); page !== undefined; page = queue.shift()) {
        reports.set(
          page.file,
          await runPage(page.file, page.text, { env, checkArgs, validateArgs }),
        );
      }
    };
    await Promise.all([worker(), worker()]);
  }, 900_000);
  afterAll(async () => {
    await server?.close();
  });

  it("covers every page with a tipi command", () => {
    if (only !== undefined) return;
    expect(pages.map((p) => p.file)).toEqual(expect.arrayContaining(["README.md", "docs/cli.md"]));
  });

  it.each(files)("%s: its tipi commands run as documented and print what it shows", (file) => {
    const report = reports.get(file);
    if (report === undefined) return;
    const summary = report.runs.map(
      (r) => `${r.file}:${r.line} ${r.code} ${(r.ms / 1000).toFixed(1)}s  ${r.text}`,
    );
    console.log(
      [
        `${file}: ${report.runs.length} commands run`,
        ...summary,
        ...report.notRun.map((n) => `not run: ${n}`),
      ].join("\n"),
    );
    expect(report.failures.join("\n\n")).toBe("");
  });
});
