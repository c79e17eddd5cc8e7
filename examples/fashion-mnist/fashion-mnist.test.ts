import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { customPipeline } from "./custom-train.ts";
import { fashionMnistPipeline } from "./pipeline.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tiny = { trainLimit: 512, testLimit: 300 };
/** What tfjs-backend-cpu console.warns on its first tensor in Node unless tfjs is in prod mode. */
const TFJS_NODE_BANNER = "looks like you are running TensorFlow.js in Node.js";

describe("the Fashion-MNIST example in tiny mode (1 epoch, 512 samples, wasm)", () => {
  it("runs the TypeScript pipeline with the default train join", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tipi-fmnist-"));
    const result = await fashionMnistPipeline({
      device: { backend: "wasm" },
      hyperparameters: { epochs: 1 },
      data: tiny,
    }).run(undefined, { runDir });
    if (result.isErr()) throw new Error(result.error.message);
    const state = result.value;
    expect(state.backend).toBe("wasm");
    expect(state.training.epochs).toBe(1);
    expect(state.training.steps).toBe(8);
    expect(state.evaluation.samples).toBe(300);
    // Chance is 0.1; one short epoch already does clearly better.
    expect(state.evaluation.accuracy).toBeGreaterThan(0.2);
    expect(existsSync(join(runDir, "model", "model.json"))).toBe(true);
  });

  it("runs pipeline.toml through the tipi CLI", () => {
    const runDir = mkdtempSync(join(tmpdir(), "tipi-fmnist-cli-"));
    const cli = spawnSync(
      process.execPath,
      [
        join(root, "packages/cli/dist/bin.js"),
        "run",
        join(root, "examples/fashion-mnist/pipeline.toml"),
        "--set",
        "hyperparameters.epochs=1",
        "--set",
        `data.trainLimit=${tiny.trainLimit}`,
        "--set",
        `data.testLimit=${tiny.testLimit}`,
        "--set",
        "device.backend=wasm",
        "--run-dir",
        runDir,
        "--no-progress",
      ],
      { encoding: "utf8", cwd: root },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"));
    expect(summary["test/accuracy"]).toBeGreaterThan(0.2);
    expect(summary["val/accuracy"]).toBeGreaterThan(0.2);
    expect(existsSync(join(runDir, "checkpoints"))).toBe(true);
    expect(cli.stderr).not.toContain(TFJS_NODE_BANNER);
    // The evaluation's figures are stored locally (issue 5), named after the classes.
    const figure = JSON.parse(readFileSync(join(runDir, "media/confusion-matrix.json"), "utf8"));
    expect(figure.labels).toHaveLength(10);
    expect(figure.labels[0]).toBe("T-shirt/top");
    expect(figure.matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(tiny.testLimit);
    expect(readFileSync(join(runDir, "media/confusion-matrix.png")).subarray(1, 4).toString()).toBe(
      "PNG",
    );
    const table = JSON.parse(readFileSync(join(runDir, "media/per-class-accuracy.json"), "utf8"));
    expect(table.columns).toEqual(["class", "accuracy", "count"]);
    expect(summary["confusion-matrix"].image).toBe("media/confusion-matrix.png");
  });

  it("prints the evaluation's figures as JSON lines with --json", () => {
    const runDir = mkdtempSync(join(tmpdir(), "tipi-fmnist-json-"));
    const cli = tinyCpuRun(runDir, "--json");
    expect(cli.status, cli.stderr).toBe(0);
    const figures = cli.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .filter((event) => event.type === "figure");
    expect(figures.map((e) => [e.name, e.figure.kind])).toEqual([
      ["confusion-matrix", "confusion-matrix"],
      ["per-class-accuracy", "table"],
    ]);
    expect(
      figures[1].figure.rows
        .map((row: unknown[]) => row[2])
        .reduce((a: number, b: number) => a + b),
    ).toBe(64);
    expect(existsSync(join(runDir, "media/confusion-matrix.png"))).toBe(true);
  });

  it("keeps tfjs's Node.js banner out of a cpu-backend run's output", () => {
    const runDir = mkdtempSync(join(tmpdir(), "tipi-fmnist-cpu-"));
    const cli = tinyCpuRun(runDir, "--no-progress");
    expect(cli.status, cli.stderr).toBe(0);
    // the run did use the cpu backend, whose first tensor triggers the banner
    expect(JSON.parse(readFileSync(join(runDir, "meta.json"), "utf8")).backend).toBe("cpu");
    expect(cli.stderr).not.toContain(TFJS_NODE_BANNER);
    expect(cli.stdout).not.toContain(TFJS_NODE_BANNER);
  });

  it("runs the hand-written loop of custom-train.ts in the same join", async () => {
    const result = await customPipeline({ epochs: 1, trainLimit: 512, backend: "wasm" }).run(
      undefined,
    );
    if (result.isErr()) throw new Error(result.error.message);
    expect(result.value.training.steps).toBe(8);
    expect(result.value.evaluation.accuracy).toBeGreaterThan(0.2);
  });
});

/** `tipi run` of the example on the cpu backend with an MLP and 64 samples: a few seconds. */
function tinyCpuRun(runDir: string, outputFlag: "--json" | "--no-progress") {
  return spawnSync(
    process.execPath,
    [
      join(root, "packages/cli/dist/bin.js"),
      "run",
      join(root, "examples/fashion-mnist/pipeline.toml"),
      ...["--set", "device.backend=cpu", "--set", "network.architecture=mlp"],
      ...["--set", "hyperparameters.epochs=1", "--set", "data.trainLimit=64"],
      ...["--set", "data.testLimit=64", "--run-dir", runDir, outputFlag],
    ],
    { encoding: "utf8", cwd: root },
  );
}
