// Configs of the Python tipi (its templates, docs and tutorial, ../shared/corpus/tipi-configs) load
// as the Python loader loads them: the same permanences, params and process order.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { loadPipeline } from "../packages/cli/src/config/load-pipeline.ts";
import { ConfigProblems } from "../packages/cli/src/config/problems.ts";
import { resolveTarget } from "../packages/cli/src/config/resolve-target.ts";
import { built, pythonTipiRegistry } from "./fixtures/python-tipi/registry.ts";

const CORPUS = join(import.meta.dirname, "../../shared/corpus/tipi-configs");
const scratch = mkdtempSync(join(tmpdir(), "tipi-python-configs-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Entry = readonly [name: string, type: string, params: Record<string, unknown>];
interface Expected {
  readonly permanences: readonly Entry[];
  readonly processes: readonly Entry[];
}

// What the Python tipi's loader builds from each file: permanences (name, class, kwargs) in file
// order, then the processes in file order with their params (`force` is the framework's).
const templateData: Entry = ["data", "DataPermanence", { data_dir: "./data" }];
const templateConfig: Entry = [
  "config",
  "ConfigPermanence",
  { config_path: "./configs/pipeline_config.toml" },
];
const twoSteps: readonly Entry[] = [
  ["load_data", "LoadDataProcess", {}],
  ["process_data", "ProcessDataProcess", {}],
];
const EXPECTED: Record<string, Expected> = {
  "rendered-basic-pipeline_config.toml": {
    permanences: [["my_perm", "MyPermanence", { param: "example_value" }]],
    processes: [["my_process", "MyProcess", {}]],
  },
  "rendered-pause-pipeline_config.toml": {
    permanences: [["my_permanence", "MyPermanence", { param: "example_value" }]],
    processes: [["my_process", "MyProcess", {}]],
  },
  "rendered-full-pipeline_config.toml": {
    permanences: [templateConfig, templateData],
    processes: twoSteps,
  },
  "tutorial-level_5-pipeline_config.v1-210df26.toml": {
    permanences: [templateConfig, templateData],
    processes: twoSteps,
  },
  "tutorial-level_5-pipeline_config.v2-cd2f959.toml": {
    permanences: [
      templateConfig,
      [
        "data",
        "DataPermanence",
        {
          root: "./data",
          data_set: "FashionMNIST",
          transform: "ToTensor",
          download: true,
          prevent_deletion: true,
        },
      ],
    ],
    processes: twoSteps,
  },
  "docs-cli_reference-pipeline_config.toml": {
    permanences: [
      ["device", "Device", {}],
      ["network", "Network", { model: "resnet50", num_classes: 10 }],
    ],
    processes: [
      ["training", "TrainingProcess", { epochs: 10, learning_rate: 0.001 }],
      ["validation", "ValidationProcess", {}],
    ],
  },
  "docs-progressive_enhancement-execute_pipeline.toml": {
    permanences: [
      ["device", "Device", {}],
      ["network", "Network", { model: "resnet50", num_classes: 10, pretrained: true }],
      ["data", "Data", { dataset: "CIFAR10", batch_size: 32 }],
      ["progress_manager", "ProgressManager", {}],
      ["wandb_logger", "WandBManager", { project: "my_research", entity: "my_team" }],
    ],
    processes: [
      ["training", "TrainingProcess", { epochs: 10 }],
      ["validation", "ValidationProcess", {}],
      ["testing", "TestingProcess", {}],
    ],
  },
  "docs-getting_started-execute_pipeline.toml": {
    permanences: [["data", "Datasets", { root: "localhost", format: "pascalvoc" }]],
    processes: [["viz", "Visualization", {}]],
  },
  "docs-improvements_summary-function-process.toml": {
    permanences: [],
    processes: [["training", "train", { epochs: 10 }]],
  },
  "docs-progressive_enhancement-production.toml": {
    permanences: [],
    processes: [["training", "train_model", { learning_rate: 0.001 }]],
  },
  "docstring-device-network.toml": {
    permanences: [
      ["network", "Network", { model: "deeplabv3_resnet50", num_classes: 21, pretrained: true }],
    ],
    processes: [],
  },
};

let stderr: string[] = [];
beforeEach(() => {
  stderr = [];
  built.length = 0;
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const load = (file: string) =>
  loadPipeline(resolveTarget(file), { registry: pythonTipiRegistry() });

describe.runIf(existsSync(CORPUS))("the Python tipi's configs", () => {
  test.each(Object.keys(EXPECTED))("%s", async (name) => {
    const expected = EXPECTED[name]!;
    const loaded = await load(join(CORPUS, name));
    const graph = loaded.pipeline.describe();
    expect(graph.permanences.map((p) => p.name)).toEqual(expected.permanences.map((e) => e[0]));
    expect(graph.steps.map((s) => ("name" in s ? s.name : "through"))).toEqual(
      expected.processes.map((e) => e[0]),
    );
    const result = await loaded.pipeline.run(loaded.input);
    expect(result.isOk(), JSON.stringify(result)).toBe(true);
    expect(built).toEqual([
      ...expected.permanences.map(([, type, params]) => ({ kind: "permanence", type, params })),
      ...expected.processes.map(([, type, params]) => ({ kind: "process", type, params })),
    ]);
    // The Python spelling is accepted with a note naming tipi's.
    const notes = stderr.join("");
    if (name.startsWith("rendered") || name.startsWith("tutorial")) {
      expect(notes).toMatch(/enable_wandb = false: tipi writes logger = "local"/);
      expect(notes).toMatch(/enable_progress = (true|false): tipi shows progress in a terminal/);
    }
  });

  test("a file that is not TOML is refused with its line", async () => {
    const error = await load(join(CORPUS, "INVALID-docstring-progress-bare-key.toml")).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigProblems);
    const [problem] = (error as ConfigProblems).problems;
    expect(problem?.position?.line).toBe(5);
  });
});

describe("the Python tipi's [pipeline] keys", () => {
  const write = (name: string, text: string) => {
    const path = join(scratch, name);
    writeFileSync(path, text);
    return path;
  };
  const body = '\n[permanences.p]\ntype = "MyPermanence"\n\n[processes.step]\ntype = "MyProcess"\n';

  test("logger in any case, basic included, becomes tipi's spelling with a note", async () => {
    const loaded = await load(write("basic.toml", `[pipeline]\nlogger = "Basic"\n${body}`));
    expect(loaded.logger).toBe("local");
    expect(stderr.join("")).toMatch(
      /basic\.toml:2: \[pipeline\] logger = "Basic": tipi writes logger = "local"/,
    );
    const wandb = await load(write("wandb.toml", `[pipeline]\nlogger = "WandB"\n${body}`));
    expect(wandb.logger).toBe("wandb");
  });

  test("enable_wandb and [pipeline.wandb] give the W&B permanence the Python tipi names wandb_logger", async () => {
    const loaded = await load(
      write(
        "enable-wandb.toml",
        `[pipeline]\nenable_wandb = true\n\n[pipeline.wandb]\nproject = "my-project"\nentity = "my-team"\nlog_file = "logs/wandb.log"\n${body}`,
      ),
    );
    expect(loaded.logger).toBe("wandb");
    expect(loaded.pipeline.describe().permanences.map((p) => p.name)).toEqual([
      "wandb_logger",
      "p",
    ]);
    const config = loaded.config as { permanences: Record<string, Record<string, unknown>> };
    expect(config.permanences.wandb_logger).toEqual({
      type: "WandBLogger",
      project: "my-project",
      entity: "my-team",
    });
    expect(stderr.join("")).toMatch(
      /\[pipeline\.wandb\]: tipi writes \[permanences\.wandb_logger\] type = "WandBLogger" \(log_file: tipi logs to the run directory\)/,
    );
  });

  test("enable_basic_logger and [pipeline.basic_logger] are tipi's run directory", async () => {
    const loaded = await load(
      write(
        "basic-logger.toml",
        `[pipeline]\nenable_basic_logger = true\n\n[pipeline.basic_logger]\nlog_dir = "logs/basic"\n${body}`,
      ),
    );
    expect(loaded.logger).toBe("local");
    expect(stderr.join("")).toMatch(
      /\[pipeline\.basic_logger\]: tipi writes logs and metrics to the run directory/,
    );
  });

  test("TensorBoard is a clear error naming the key and its line", async () => {
    for (const [file, text, key, line] of [
      [
        "tb-flag.toml",
        `[pipeline]\nenable_wandb = false\nenable_tensorboard = true\n${body}`,
        "enable_tensorboard",
        3,
      ],
      ["tb-logger.toml", `[pipeline]\nlogger = "TensorBoard"\n${body}`, "logger", 2],
    ] as const) {
      const error = await load(write(file, text)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigProblems);
      const problem = (error as ConfigProblems).problems.find((p) =>
        p.message.includes("TensorBoard"),
      );
      expect(problem?.path).toEqual(["pipeline", key]);
      expect(problem?.position?.line).toBe(line);
      expect(problem?.message).toBe("TensorBoard is not supported by tipi");
    }
  });
});
