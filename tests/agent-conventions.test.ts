// biome-ignore-all lint/suspicious/noTemplateCurlyInString: W&B command macros are literal ${name} strings
// The wandb agent's command-line conventions: every sweep of the corpus, its `command:` expanded
// as the agent expands it (and with every argument macro in turn), through tipi's own parser.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, test } from "vitest";
import { findCommand } from "../packages/cli/src/cli/definitions.ts";
import { UsageError } from "../packages/cli/src/cli/errors.ts";
import { parseArgs } from "../packages/cli/src/cli/parse-args.ts";
import { optionCollision, pythonLiteral } from "../packages/cli/src/cli/wandb-agent-args.ts";
import { loadPipeline } from "../packages/cli/src/config/load-pipeline.ts";
import { typeOverride } from "../packages/cli/src/config/overrides.ts";
import { resolveTarget } from "../packages/cli/src/config/resolve-target.ts";
import {
  type AgentRunArgs,
  createSearch,
  flatArgs,
  paramValue,
  parseSweepConfigText,
  pythonFloat,
  pythonJson,
  pythonStr,
  tipiRunLine,
  WANDB_DEFAULT_COMMAND,
} from "../packages/wandb/src/index.ts";
import { tipi } from "./fixtures/cli/run-tipi.ts";

const CORPUS = join(import.meta.dirname, "../../shared/corpus/wandb-sweeps");
const PIPELINE = "tests/fixtures/agent/pipeline.toml";
const RUN = findCommand("run")!;
const scratch = mkdtempSync(join(tmpdir(), "tipi-conventions-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Under an agent: the launched process sees WANDB_SWEEP_ID.
const saved = { ...process.env };
beforeEach(() => {
  process.env.WANDB_SWEEP_ID = "conventions";
  delete process.env.WANDB_SWEEP_PARAM_PATH;
});
afterEach(() => {
  for (const key of ["WANDB_SWEEP_ID", "WANDB_SWEEP_PARAM_PATH"]) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

const ARG_MACROS = [
  "${args}",
  "${args_no_hyphens}",
  "${args_no_boolean_flags}",
  "${args_no_equals}",
  "${args_json}",
  "${args_json_file}",
  "${args_append_hydra}",
  "${args_override_hydra}",
];

/** A command-line value read back the way `--set` types it where no value is there to replace. */
function decode(raw: string): unknown {
  return typeOverride(raw, undefined)
    .map((typed) => typed.value)
    .unwrapOr(raw);
}

const sweeps = existsSync(CORPUS)
  ? readdirSync(CORPUS).filter((f) => f.endsWith(".yaml") && !f.startsWith("data-"))
  : [];

describe.runIf(sweeps.length > 0)("the corpus's commands through tipi's parser", () => {
  test.each(sweeps)("%s", (file) => {
    const config = parseSweepConfigText(readFileSync(join(CORPUS, file), "utf8"), file);
    const command = (config.command as readonly string[] | undefined) ?? WANDB_DEFAULT_COMMAND;
    const params = createSearch(config, { seed: 7 }).next(0, []) ?? {};
    const args: AgentRunArgs = Object.fromEntries(
      Object.entries(params).map(([k, v]) => [k, { value: v }]),
    );
    const jsonFile = join(scratch, `${file}.json`);
    writeFileSync(jsonFile, pythonJson(flatArgs(args)));
    const run = (template: readonly string[]) => {
      const line = tipiRunLine(template, { args, pipeline: PIPELINE, argsJsonFile: jsonFile });
      return parseArgs(RUN, [line.pipeline, ...line.args]);
    };

    if (!command.some((c) => ARG_MACROS.includes(String(c)))) {
      // The command passes no parameters, only the program's own arguments: a clear refusal.
      expect(() => run(command)).toThrow(UsageError);
      expect(() => run(command)).toThrow(/unexpected argument "sweep"/);
      return;
    }
    // The file's own command, then each argument macro in its place.
    const macroAt = command.findIndex((c) => ARG_MACROS.includes(String(c)));
    const variants = [
      command,
      ...ARG_MACROS.map((m) => command.map((c, i) => (i === macroAt ? m : c))),
    ];
    for (const template of variants) {
      const macro = String(template[macroAt]);
      const parsed = run(template);
      expect(parsed.positionals, macro).toEqual([PIPELINE]);
      const byKey = new Map(parsed.overrides.map((o) => [o.key, o.value]));
      for (const p of config.parameters) {
        const value = paramValue(params, p);
        const raw = byKey.get(p.key);
        if (value === null || (value === false && macro === "${args_no_boolean_flags}")) {
          expect(raw, `${macro} ${p.key}`).toBeUndefined();
          continue;
        }
        expect(raw, `${macro} ${p.key}`).toBeDefined();
        if (raw !== String(value))
          expect(decode(raw as string), `${macro} ${p.key}`).toEqual(value);
      }
      // Literal extras of the command (Hydra's +num_gpus=1) are overrides too.
      for (const extra of template.filter((c) => /^\+\+?\w+=/.test(String(c))))
        expect(byKey.get(String(extra).replace(/^\++/, "").split("=")[0]!)).toBeDefined();
    }
  });

  test("a Hydra-style sweep lands on the pipeline's keys through [pipeline.aliases]", async () => {
    const file = "13-hydra-dotted-key-bayes-command.yaml";
    const config = parseSweepConfigText(readFileSync(join(CORPUS, file), "utf8"), file);
    const params = createSearch(config, { seed: 3 }).next(0, []) ?? {};
    const args = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { value: v }]));
    const line = tipiRunLine(config.command, {
      args,
      pipeline: "tests/fixtures/agent/aliases.toml",
    });
    const parsed = parseArgs(RUN, [line.pipeline, ...line.args]);
    const loaded = await loadPipeline(resolveTarget(line.pipeline), {
      overrides: parsed.overrides,
    });
    const resolved = loaded.config as {
      permanences: { hyperparameters: { lr: number; optimizer: string } };
      processes: { hello: { text: string } };
    };
    expect(resolved.permanences.hyperparameters.lr).toBe(params["optimizer.config.learning_rate"]);
    expect(resolved.permanences.hyperparameters.optimizer).toBe(params.optimizer);
    expect(resolved.processes.hello.text).toBe(params.experiment);
  });
});

describe("argument forms", () => {
  test("values print the Python way and read back", () => {
    expect([1e-5, 0.0001, 1e16, 123.5, 3, -2.5e-7].map(pythonFloat)).toEqual([
      "1e-05",
      "0.0001",
      "1e+16",
      "123.5",
      "3",
      "-2.5e-07",
    ]);
    expect([true, false, null, ["a", 1, true], { lr: 0.1 }].map(pythonStr)).toEqual([
      "True",
      "False",
      "None",
      "['a', 1, True]",
      "{'lr': 0.1}",
    ]);
    expect(pythonJson({ lr: 1e-5, on: true })).toBe('{"lr": 1e-05, "on": true}');
    expect(pythonLiteral("{'a': [1, 'x'], 'b': None, 'c': False}")).toEqual({
      a: [1, "x"],
      b: null,
      c: false,
    });
  });

  test("a nested parameter (one dict on the command line) becomes dotted keys", () => {
    const parsed = parseArgs(RUN, [PIPELINE, "--optimizer={'lr': 0.01, 'betas': [0.9, 0.99]}"]);
    expect(parsed.overrides.map((o) => [o.key, o.value])).toEqual([
      ["optimizer.lr", "0.01"],
      ["optimizer.betas", "[0.9, 0.99]"],
    ]);
  });

  test("the values of tipi's own options are left alone", () => {
    const parsed = parseArgs(RUN, [
      PIPELINE,
      "--set",
      "lr=0.5",
      "--run-dir",
      "/tmp/a=b",
      "-c",
      "+x=1.toml",
      "--amp",
    ]);
    expect(parsed.overrides.map((o) => [o.key, o.value])).toEqual([
      ["lr", "0.5"],
      ["amp", "true"],
    ]);
    expect(parsed.options["run-dir"]).toBe("/tmp/a=b");
    expect(parsed.options.config).toEqual(["+x=1.toml"]);
  });

  test("outside an agent, bare --flag stays an unknown option and True stays text", () => {
    delete process.env.WANDB_SWEEP_ID;
    expect(() => parseArgs(RUN, [PIPELINE, "--amp"])).toThrow(/unknown option --amp/);
    expect(parseArgs(RUN, [PIPELINE, "--name=True"]).overrides[0]?.value).toBe("True");
    // Hydra's +key=value and a JSON object work anywhere.
    expect(parseArgs(RUN, [PIPELINE, "+lr=0.1", '{"batch_size": 8}']).overrides).toMatchObject([
      { key: "lr", value: "0.1" },
      { key: "batch_size", value: "8" },
    ]);
  });

  test("one rule for names of tipi's options: refused, except seed", () => {
    expect(optionCollision(RUN, ["lr", "seed"])).toBeUndefined();
    expect(optionCollision(RUN, ["lr", "config", "json"])).toMatch(
      /sweep parameters "config", "json" have the name of tipi run's options --config, --json.*rename it/,
    );
    // tipi run under the Python agent reads the names from WANDB_SWEEP_PARAM_PATH.
    const paramFile = join(scratch, "config-abc.yaml");
    writeFileSync(paramFile, "wandb_version: 1\nconfig:\n  value: big.toml\nlr:\n  value: 0.1\n");
    process.env.WANDB_SWEEP_PARAM_PATH = paramFile;
    expect(() => parseArgs(RUN, [PIPELINE, "--config=big.toml", "--lr=0.1"])).toThrow(
      /sweep parameter "config" has the name of tipi run's option --config/,
    );
  });

  test("tipi sweep --wandb refuses a sweep whose parameter is named like an option", async () => {
    const file = join(scratch, "clash.yaml");
    writeFileSync(file, "method: grid\nparameters:\n  json:\n    values: [1, 2]\n");
    const r = await tipi(["sweep", PIPELINE, file, "--wandb"], {
      env: { WANDB_API_KEY: "k".repeat(40), WANDB_BASE_URL: "http://127.0.0.1:9" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /clash\.yaml: sweep parameter "json" has the name of tipi run's option --json/,
    );
  });
});
