import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createSearch,
  loadSweepConfig,
  parseSweepConfigText,
  resolvePlainScalar,
  type SweepConfig,
  SweepConfigError,
  sweepAgentRun,
} from "../src/index.ts";

const CORPUS = join(import.meta.dirname, "../../../../shared/corpus/wandb-sweeps");
const FIXTURES = join(import.meta.dirname, "fixtures/sweep");

const dist = (config: SweepConfig) =>
  Object.fromEntries(config.parameters.map((p) => [p.key, p.spec.distribution]));
const errorOf = (fn: () => unknown): SweepConfigError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof SweepConfigError) return error;
    throw error;
  }
  throw new Error("expected a SweepConfigError");
};

describe("YAML 1.1 scalars (as PyYAML reads them)", () => {
  it("keeps exponent-without-dot as a string and reads YAML 1.1 booleans and octals", () => {
    expect(resolvePlainScalar("1e-5")).toEqual({ value: "1e-5", float: false });
    expect(resolvePlainScalar("1.0e-5")).toEqual({ value: 1e-5, float: true });
    expect(resolvePlainScalar("1.0e2")).toEqual({ value: "1.0e2", float: false });
    expect(resolvePlainScalar("10.0")).toEqual({ value: 10, float: true });
    expect(resolvePlainScalar("yes").value).toBe(true);
    expect(resolvePlainScalar("y").value).toBe("y");
    expect(resolvePlainScalar("010").value).toBe(8);
    expect(resolvePlainScalar("1:30").value).toBe(90);
  });

  it("infers int_uniform from integer bounds and uniform from float ones (10.0 is a float)", () => {
    const config = parseSweepConfigText(
      "method: random\nparameters:\n  a: {min: 1, max: 10}\n  b: {min: 1.0, max: 10.0}\n  c: {min: 0, max: 0.5}\n",
      "s.yaml",
    );
    expect(dist(config)).toEqual({ a: "int_uniform", b: "uniform", c: "uniform" });
  });

  it("treats 1e-5 values as strings (W&B) but accepts them as numeric bounds (W&B's server does)", () => {
    const config = parseSweepConfigText(
      "method: random\nparameters:\n  decay: {values: [1e-5, 1.0e-6]}\n  lr: {distribution: log_uniform_values, min: 1e-6, max: 1e-3}\n",
      "s.yaml",
    );
    expect(config.parameters[0]?.spec).toEqual({
      distribution: "categorical",
      values: ["1e-5", 1e-6],
    });
    expect(config.parameters[1]?.spec).toEqual({
      distribution: "log_uniform_values",
      min: 1e-6,
      max: 1e-3,
    });
  });
});

describe("YAML anchors and merge keys", () => {
  it("resolves aliases and << merges, explicit keys winning", () => {
    const config = parseSweepConfigText(
      [
        "method: random",
        "parameters:",
        "  lr: &lr {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}",
        "  lr2: {<<: *lr, max: 1.0e-2}",
        "  lr3: *lr",
      ].join("\n"),
      "a.yaml",
    );
    expect(config.parameters.map((p) => p.spec)).toEqual([
      { distribution: "log_uniform_values", min: 1e-4, max: 1e-1 },
      { distribution: "log_uniform_values", min: 1e-4, max: 1e-2 },
      { distribution: "log_uniform_values", min: 1e-4, max: 1e-1 },
    ]);
  });
});

describe("validation errors name the file, key path and line", () => {
  it("reports min ≥ max with its line", () => {
    const error = errorOf(() =>
      parseSweepConfigText(
        "method: random\nparameters:\n  lr:\n    min: 0.1\n    max: 0.01\n",
        "bad.yaml",
      ),
    );
    expect(error.message).toBe("bad.yaml:4: parameters.lr.min: min 0.1 is not less than max 0.01");
  });

  it("a misspelt spec key is named, with the key meant", () => {
    // was only "is not a parameter: needs value, values, min/max, …" at the parameter's line
    const error = errorOf(() =>
      parseSweepConfigText(
        "method: grid\nparameters:\n  lr:\n    valus: [0.1, 0.01]\n",
        "bad.yaml",
      ),
    );
    expect(error.message).toBe(
      'bad.yaml:4: parameters.lr.valus: is not a parameter key (did you mean "values"?)',
    );
  });

  it("reports a nested parameter, an unknown distribution and a missing method together", () => {
    const error = errorOf(() =>
      parseSweepConfigText(
        "parameters:\n  optimizer:\n    parameters:\n      lr:\n        distribution: loguniform\n        min: 1\n        max: 2\n",
        "bad.yaml",
      ),
    );
    expect(error.issues.map((i) => i.path.join("."))).toEqual([
      "",
      "parameters.optimizer.parameters.lr.distribution",
    ]);
    expect(error.message).toContain(
      "bad.yaml:5: parameters.optimizer.parameters.lr.distribution: unknown distribution",
    );
  });

  it("rejects grid over a continuous distribution, as W&B does", () => {
    const error = errorOf(() =>
      parseSweepConfigText("method: grid\nparameters:\n  lr: {min: 0.1, max: 1.0}\n", "grid.yaml"),
    );
    expect(error.message).toMatch(
      /grid\.yaml:3: parameters\.lr: grid search cannot enumerate a uniform parameter/,
    );
  });

  it("rejects probabilities that do not match the values, unknown keys and a bad hyperband", () => {
    const error = errorOf(() =>
      parseSweepConfigText(
        [
          "method: random",
          "paramters: {}",
          "metric: {name: loss}",
          "early_terminate: {type: hyperband, eta: 3}",
          "parameters:",
          "  a: {values: [1, 2], probabilities: [0.5]}",
        ].join("\n"),
        "x.yaml",
      ),
    );
    expect(error.issues.map((i) => `${i.line}:${i.message}`)).toEqual([
      "2:is not a sweep config key",
      "6:has 1 entries for 2 values",
      "4:hyperband needs max_iter (with s) or min_iter",
    ]);
  });

  it("reads TOML with the same rules and reports TOML lines", async () => {
    const config = await loadSweepConfig(join(FIXTURES, "nested.toml"));
    expect(config.method).toBe("grid");
    expect(config.parameters.map((p) => p.key)).toEqual([
      "batch_size",
      "optimizer.lr",
      "optimizer.momentum",
    ]);
    expect(dist(config)).toEqual({
      batch_size: "categorical",
      "optimizer.lr": "categorical",
      "optimizer.momentum": "q_uniform",
    });
    const error = errorOf(() =>
      parseSweepConfigText(
        'method = "random"\n[parameters.lr]\nmin = 1.0\nmax = 0.5\n',
        "bad.toml",
      ),
    );
    expect(error.message).toBe("bad.toml:3: parameters.lr.min: min 1 is not less than max 0.5");
  });

  it("tells TOML floats from integers (min = 1.0 picks uniform)", () => {
    const floats = parseSweepConfigText(
      'method = "random"\n[parameters]\na = { min = 1, max = 10 }\nb = { min = 1.0, max = 10.0 }\n[parameters.c]\nmin = 0\nmax = 5.0\n',
      "f.toml",
    );
    expect(dist(floats)).toEqual({ a: "int_uniform", b: "uniform", c: "uniform" });
  });
});

describe.runIf(existsSync(CORPUS))("the W&B corpus", () => {
  const files = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => /^\d.*\.yaml$/.test(f)) : [];

  it.each(files)("loads %s", async (file) => {
    const config = await loadSweepConfig(join(CORPUS, file));
    expect(config.parameters.length).toBeGreaterThan(0);
    const search = createSearch(config, { seed: 3 });
    expect(search.next(0, [])).toBeTypeOf("object");
  });

  it("infers W&B's distributions (athena: floats → uniform; ints → int_uniform)", async () => {
    const config = await loadSweepConfig(join(CORPUS, "21-athena-random-int-float-inference.yaml"));
    expect(dist(config)).toMatchObject({
      num_epochs: "int_uniform",
      cv_clip_norm: "uniform",
      momentum: "uniform",
      learning_rate: "uniform",
      num_hidden_layers: "int_uniform",
    });
    const rf = await loadSweepConfig(
      join(CORPUS, "19-tabular-rf-random-probabilities-qlogvalues.yaml"),
    );
    expect(dist(rf)).toMatchObject({
      model__max_depth: "categorical_w_probabilities",
      model__n_estimators: "q_log_uniform_values",
      model_type: "constant",
    });
  });

  it("computes W&B's hyperband bands", async () => {
    const bands = async (file: string) =>
      (await loadSweepConfig(join(CORPUS, file))).earlyTerminate?.bands;
    expect(await bands("04-local-grid-hyperband.yaml")).toEqual([1, 3]);
    expect(await bands("07-pytorch-fashion-grid-hyperband.yaml")).toEqual([3, 9]);
    expect(await bands("33-sweeps-test-bayes-hyperband-max-iter-300.yaml")).toEqual([33, 100]);
    expect(
      (await bands("25-sweeps-test-hyperband-min-iter-fractional-eta.yaml"))?.slice(0, 4),
    ).toEqual([30, 45, 67, 101]);
    expect(
      (await bands("26-sweeps-test-mer-random-command-hyperband-no-eta.yaml"))?.slice(0, 3),
    ).toEqual([3, 9, 27]);
    const strict = await loadSweepConfig(
      join(CORPUS, "24-sweeps-test-hyperband-eta3-not-strict.yaml"),
    );
    expect(strict.earlyTerminate?.strict).toBe(false);
  });

  it("nests parameters and keeps dotted names flat, as W&B does", async () => {
    const nested = await loadSweepConfig(
      join(CORPUS, "27-sweeps-test-nested-param-dict-conflict-names.yaml"),
    );
    expect(createSearch(nested, { seed: 0 }).next(0, [])).toEqual({
      a: { b: 1, c: { d: 2 } },
      b: 2,
    });
    const hydra = await loadSweepConfig(join(CORPUS, "16-hydra-dotted-keys-bayes-extra-arg.yaml"));
    expect(hydra.parameters.map((p) => p.path)).toEqual([
      ["dataset"],
      ["dataset.train_batch"],
      ["model.num_groups"],
      ["normalization"],
    ]);
  });
});

describe("unreadable files", () => {
  it("names the file and the reason", async () => {
    await expect(loadSweepConfig(join(FIXTURES, "missing.yaml"))).rejects.toThrow(
      /missing\.yaml: cannot read sweep file \(ENOENT\)/,
    );
    expect(() =>
      parseSweepConfigText("method: grid\nparameters: [unclosed\n", "broken.yaml"),
    ).toThrow(/broken\.yaml:\d+: invalid YAML/);
  });
});

describe("sweepAgentRun (W&B agent, command mode)", () => {
  it("reads the agent's run from the environment, only under a sweep", () => {
    expect(
      sweepAgentRun({
        WANDB_RUN_ID: "abc123",
        WANDB_SWEEP_ID: "sw1",
        WANDB_PROJECT: "p",
        WANDB_ENTITY: "e",
      }),
    ).toEqual({ runId: "abc123", sweepId: "sw1", project: "p", entity: "e" });
    expect(sweepAgentRun({ WANDB_RUN_ID: "abc123" })).toBeUndefined();
    expect(sweepAgentRun({})).toBeUndefined();
  });
});
