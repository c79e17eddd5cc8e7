import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  buildPipeline,
  formatConfigIssues,
  type PermanenceDeps,
  PipelineProcess,
  type ProcessContext,
  pipelineProcess,
  Registry,
  type TipiEvent,
} from "../src/index.ts";

const log: string[] = [];

class Device {
  static readonly params = z.object({ backend: z.enum(["auto", "cpu", "wasm"]).default("auto") });
  constructor(readonly params: z.output<typeof Device.params>) {}
  initialize() {
    log.push(`init device ${this.params.backend}`);
  }
  cleanup() {
    log.push("cleanup device");
  }
}

class Data {
  static readonly params = z.strictObject({ batchSize: z.number().int().positive() });
  readonly backend: string;
  constructor(
    readonly params: z.output<typeof Data.params>,
    deps: PermanenceDeps,
  ) {
    this.backend = (deps.get("device") as Device).params.backend;
  }
  cleanup() {
    log.push("cleanup data");
  }
}

class Train extends PipelineProcess<{ epochs: number }> {
  static override readonly params = z.object({ epochs: z.number().int() });
  override execute(ctx: ProcessContext) {
    const data = ctx.get("data") as Data;
    return { epochs: this.params.epochs, batchSize: data.params.batchSize, on: data.backend };
  }
}

class Optional extends PipelineProcess {
  override skip() {
    return true;
  }
  override execute() {
    return "ran";
  }
}

const evaluate = pipelineProcess(
  { name: "Evaluate", params: z.object({ split: z.string().default("test") }) },
  (params, _ctx, state) => ({ split: params.split, sawTrain: "train" in state }),
);

const registry = () =>
  new Registry()
    .registerPermanence("Device", Device)
    .registerPermanence("Data", Data)
    .registerProcess("TrainingProcess", Train)
    .registerProcess("Optional", Optional)
    .registerProcess(evaluate);

describe("buildPipeline", () => {
  it("builds permanences and processes in key order; results land under the process key", async () => {
    log.length = 0;
    const config = {
      pipeline: { name: "from-toml", logger: "none" },
      permanences: {
        device: { type: "Device", backend: "cpu" },
        data: { type: "Data", params: { batchSize: 32 } },
      },
      processes: {
        train: { type: "TrainingProcess", epochs: 2 },
        optional: { type: "Optional" },
        forced: { type: "Optional", force: true },
        eval: { type: "Evaluate" },
      },
    };
    const built = buildPipeline(config, registry());
    const pipeline = built._unsafeUnwrap();
    expect(pipeline.describe().name).toBe("from-toml");
    expect(pipeline.describe().steps.map((s) => [s.kind, s.name])).toEqual([
      ["process", "train"],
      ["process", "optional"],
      ["process", "forced"],
      ["process", "eval"],
    ]);
    const events: TipiEvent[] = [];
    const r = await pipeline.run({}, { onEvent: (e) => events.push(e) });
    expect(r._unsafeUnwrap()).toEqual({
      train: { epochs: 2, batchSize: 32, on: "cpu" },
      forced: "ran",
      eval: { split: "test", sawTrain: true },
    });
    expect(log).toEqual(["init device cpu", "cleanup data", "cleanup device"]);
    expect(
      events.filter((e) => e.type === "step:end").map((e) => [e.step, e.skipped ?? false]),
    ).toEqual([
      ["train", false],
      ["optional", true],
      ["forced", false],
      ["eval", false],
    ]);
  });

  it("reports every problem with its key path, and a hint for unknown types", () => {
    const config = {
      permanences: {
        device: { type: "Devise" },
        data: { type: "Data", batchSize: "big", shuffle: true },
        both: { type: "Device", backend: "cpu", params: { backend: "cpu" } },
        notype: { backend: "cpu" },
      },
      processes: {
        train: { type: "TrainingProcess", epocs: 3 },
        eval: { type: "Evaluate", params: { split: 1 } },
        other: { type: "Nope" },
      },
      processs: {},
    };
    const issues = buildPipeline(config, registry())._unsafeUnwrapErr();
    const byPath = Object.fromEntries(issues.map((i) => [i.path.join("."), i]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        "processs",
        "permanences.device.type",
        "permanences.data.batchSize",
        "permanences.data.shuffle",
        "permanences.both.backend",
        "permanences.notype.type",
        "processes.train.epochs",
        "processes.train.epocs",
        "processes.eval.params.split",
        "processes.other.type",
      ].sort(),
    );
    expect(byPath["permanences.device.type"]).toMatchObject({
      message: 'unknown permanence type "Devise"',
      hint: 'did you mean "Device"?',
    });
    expect(byPath["processes.other.type"]?.hint).toBe(
      "registered process types: TrainingProcess, Optional, Evaluate",
    );
    expect(byPath["processes.train.epochs"]?.message).toMatch(/^missing key/);
    expect(byPath["processes.train.epocs"]).toMatchObject({
      message: "unknown key",
      hint: 'did you mean "epochs"?',
    });
    expect(byPath.processs?.hint).toBe('did you mean "processes"?');
    expect(formatConfigIssues(issues)).toContain(
      'permanences.device.type: unknown permanence type "Devise" (did you mean "Device"?)',
    );
  });

  it("declares joins with { join = name }; an unfilled one fails clearly at run time", async () => {
    const config = {
      processes: {
        first: { type: "Evaluate", split: "val" },
        train: { join: "train" },
      },
    };
    const pipeline = buildPipeline(config, registry())._unsafeUnwrap();
    const e = (await pipeline.run({}))._unsafeUnwrapErr();
    expect(e).toMatchObject({ kind: "join-missing", join: "train" });
    expect(e.message).toBe(
      'join "train" has no implementation: call provideJoin("train", …) before run()',
    );
    const filled = pipeline.provideJoin("train", (s) => ({ ...(s as object), trained: true }));
    expect((await filled.run({}))._unsafeUnwrap()).toEqual({
      first: { split: "val", sawTrain: false },
      trained: true,
    });
  });
});

describe("pipelineProcess", () => {
  it("is a plain function outside a pipeline (params validated and defaulted)", () => {
    expect(evaluate({})).toEqual({ split: "test", sawTrain: false });
    expect(evaluate({ split: "val" }).split).toBe("val");
    // @ts-expect-error split must be a string
    expect(() => evaluate({ split: 3 })).toThrow(/process "Evaluate": invalid params: split: /);
  });

  it("registers under its name and rejects duplicates", () => {
    const r = new Registry().registerProcess(evaluate);
    expect(r.processTypes).toEqual(["Evaluate"]);
    expect(() => r.registerProcess(evaluate)).toThrow(/already registered/);
  });
});
