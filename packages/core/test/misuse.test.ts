/**
 * Misuse of the DSL must not compile, with one error per mistake whose message says what
 * is wrong. Each case is type-checked as its own file by the TypeScript compiler, and its
 * diagnostics are compared with the expected message.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { workspaceCompilerOptions } from "./fixtures/type-check.ts";

const here = dirname(fileURLToPath(import.meta.url));
const core = join(here, "../src/index.ts");
const testing = join(here, "../src/testing/index.ts");

const prelude = `
import { z } from "zod";
import { type Guard, Pipeline } from ${JSON.stringify(core)};
import { runSlice, runStep } from ${JSON.stringify(testing)};
const Trained = z.object({ accuracy: z.number() });
const base = Pipeline.create<{ epochs: number }>()
  .stage("prepare", (s) => ({ ...s, ready: true }))
  .requireJoin("train", Trained)
  .stage("report", (s) => \`accuracy \${s.accuracy}\`);
const withDevice = Pipeline.create<{ n: number }>()
  .provide({ device: () => ({ name: "cpu", cleanup() {} }) })
  .stage("use", (s) => s);
void [z, runSlice, runStep, base, withDevice];
declare const isMain: boolean;
void isMain;
export {};
`;

/** Misuse case → a fragment of the one error message it must produce. */
const cases: Record<string, { code: string; message: string }> = {
  "run() without input on a pipeline with an open join": {
    code: "base.run();",
    message: `join "train" needs provideJoin() before run()`,
  },
  "run(input) on a pipeline with an open join": {
    code: "base.run({ epochs: 1 });",
    message: `join "train" needs provideJoin() before run()`,
  },
  "run() names every open join": {
    code: `base.requireJoin("evaluate").run({ epochs: 1 });`,
    message: `join "evaluate" needs provideJoin() before run()`,
  },
  "provideJoin of a join already filled": {
    code: `base.provideJoin("train", () => ({ accuracy: 1 })).provideJoin("train", () => ({ accuracy: 2 }));`,
    message: `join "train" is already provided`,
  },
  "provideJoin of an unknown join": {
    code: `base.provideJoin("fit", () => ({ accuracy: 1 }));`,
    message: `'PipelineTypeError<"no open join named "fit"", { openJoins: "train"; }>'`,
  },
  "provideJoin of a step that is not a join": {
    code: `base.provideJoin("prepare", () => ({ accuracy: 1 }));`,
    message: `'PipelineTypeError<"no open join named "prepare"", { openJoins: "train"; }>'`,
  },
  "provideJoin whose function returns the wrong type": {
    code: `base.provideJoin("train", () => ({ accuracy: "high" }));`,
    // TypeScript points at the offending property of the returned object.
    message: `Type 'string' is not assignable to type 'number'`,
  },
  "provideJoin whose function returns another shape": {
    code: `base.provideJoin("train", (s) => s.epochs);`,
    message: `join "train" must return its schema's input type`,
  },
  "provideJoin whose function expects another state": {
    code: `base.provideJoin("train", (s: { images: number[] }) => ({ accuracy: s.images.length }));`,
    message: `Property 'images' is missing`,
  },
  "a schema-less join whose implementation changes the state": {
    code: `Pipeline.create<{ n: number }>().requireJoin("tweak").provideJoin("tweak", () => ({ m: 1 }));`,
    message: `join "tweak" has no schema, so requireJoin("tweak") keeps the state's type: to change it, declare requireJoin("tweak", schema)`,
  },
  "a sub-pipeline whose final state does not fit the join": {
    code: `base.provideJoin("train", Pipeline.create<{ epochs: number }>().stage("fit", () => ({ acc: 1 })));`,
    message: `join "train": the sub-pipeline's final state does not fit the join`,
  },
  "a sub-pipeline whose input does not accept the state": {
    code: `base.provideJoin("train", Pipeline.create<{ images: string }>().stage("fit", () => ({ accuracy: 1 })));`,
    message: `join "train": the sub-pipeline's input does not accept the state at the join`,
  },
  "a sub-pipeline with an unfilled join": {
    code: `base.provideJoin("train", Pipeline.create<{ epochs: number }>().requireJoin("inner", Trained));`,
    message: `join "train": the sub-pipeline has an unfilled join "inner"`,
  },
  "a sub-pipeline that needs a permanence the pipeline lacks": {
    code: `const sub = Pipeline.create<{ epochs: number }, { device: { name: string } }>().stage("fit", (s) => ({ accuracy: s.epochs }));
base.provideJoin("train", sub);`,
    message: `the sub-pipeline needs permanences "device" that this pipeline does not provide`,
  },
  "two stages with the same name": {
    code: `Pipeline.create<number>().stage("a", (n) => n).stage("a", (n) => n);`,
    message: `a step or join named "a" already exists: names must be unique`,
  },
  "an io step named like a stage": {
    code: `base.io("prepare", (s) => s);`,
    message: `a step or join named "prepare" already exists`,
  },
  "a join named like a step": {
    code: `base.requireJoin("report");`,
    message: `a step or join named "report" already exists`,
  },
  "a through named like a step": {
    code: `base.through(z.string(), { name: "report" });`,
    message: `a step or join named "report" already exists`,
  },
  "a through whose schema cannot accept the state": {
    code: `Pipeline.create<{ n: number }>().through(z.object({ lr: z.number() }));`,
    message: `through(): the schema's input type cannot accept the state, so validation would always fail`,
  },
  "an io timeout in a unit the parser does not know": {
    code: `Pipeline.create().io("save", () => {}, { timeout: "5sec" });`,
    message: `Type '"5sec"' is not assignable to type 'Duration | undefined'`,
  },
  "a negative io timeout": {
    code: `Pipeline.create().io("save", () => {}, { timeout: -1 });`,
    message: `io(): timeout must not be negative`,
  },
  "a negative io timeout string": {
    code: `Pipeline.create().io("save", () => {}, { timeout: "-5s" });`,
    message: `io(): timeout must not be negative`,
  },
  "negative retries": {
    code: `Pipeline.create().io("save", () => {}, { retries: -2 });`,
    message: `io(): retries must not be negative`,
  },
  "a permanence with a misspelt cleanup": {
    code: `Pipeline.create().provide({ db: () => ({ cleanUp() {} }) });`,
    message: `"cleanUp" is not a lifecycle method: did you mean "cleanup"?`,
  },
  "a permanence with a British initialise": {
    code: `Pipeline.create().provide({ db: async () => ({ initialise() {} }) });`,
    message: `"initialise" is not a lifecycle method: did you mean "initialize"?`,
  },
  "a permanence whose lifecycle member is not a function": {
    code: `Pipeline.create().provide({ db: () => ({ cleanup: true }) });`,
    message: `Type 'boolean' is not assignable to type 'LifecycleMethod'`,
  },
  "ctx.get of a permanence nobody provides": {
    code: `withDevice.stage("read", (_s, ctx) => ctx.get("logger"));`,
    message: `Argument of type '"logger"' is not assignable to parameter of type '"device"'`,
  },
  "a factory reading a permanence provided later": {
    code: `Pipeline.create().provide({ early: (deps) => deps.get("later") });`,
    message: `Argument of type '"later"' is not assignable to parameter of type 'never'`,
  },
  "a replaced permanence keeps its old type": {
    code: `Pipeline.create().provide({ a: () => 1 }).provide({ a: () => "x" }).stage("s", (_s, ctx) => { const n: number = ctx.get("a"); return n; });`,
    message: `Type 'string' is not assignable to type 'number'`,
  },
  "runStep with an unknown name": {
    code: `runStep(base, "nope", { epochs: 1 });`,
    message: `'PipelineTypeError<"no step named "nope"", { steps: "prepare" | "train" | "report"; }>'`,
  },
  "runStep with the wrong state": {
    code: `runStep(base, "report", { epochs: 1 });`,
    message: `Object literal may only specify known properties, and 'epochs' does not exist`,
  },
  "override of an unknown step": {
    code: `base.override("missing", (s) => s);`,
    message: `Argument of type '"missing"' is not assignable to parameter of type '"prepare" | "train" | "report"'`,
  },
  "override with the wrong output type": {
    code: `base.override("report", (s) => s.accuracy);`,
    message: `Type 'number' is not assignable to type 'StepReturn<string>'`,
  },
  "a guard that does not return next()": {
    code: `const g: Guard = (next) => (state, ctx) => { void next(state, ctx); return state; };`,
    message: `is not assignable to type 'GuardReturn'`,
  },
};

let diagnostics: Map<string, readonly ts.Diagnostic[]>;

beforeAll(() => {
  const files = new Map<string, string>();
  Object.entries(cases).forEach(([, c], i) => {
    files.set(join(here, `__misuse__/case-${i}.ts`), `${prelude}\n${c.code}\n`);
  });
  const options = workspaceCompilerOptions();
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
  host.readFile = (f) => files.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, language, ...rest) => {
    const text = files.get(f);
    return text === undefined
      ? getSourceFile.call(host, f, language, ...rest)
      : ts.createSourceFile(f, text, language);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  diagnostics = new Map(
    [...files.keys()].map((f) => [f, ts.getPreEmitDiagnostics(program, program.getSourceFile(f))]),
  );
}, 120_000);

describe("misuse of the DSL does not compile, with one readable error", () => {
  Object.entries(cases).forEach(([name, c], i) => {
    it(name, () => {
      const found = diagnostics.get(join(here, `__misuse__/case-${i}.ts`)) ?? [];
      // Messages inside a type are printed with escaped quotes.
      const messages = found.map((d) =>
        ts.flattenDiagnosticMessageText(d.messageText, "\n").replaceAll('\\"', '"'),
      );
      if (process.env.MISUSE_PRINT) console.log(`${name}:\n${messages.join("\n---\n")}\n`);
      expect(messages, messages.join("\n---\n")).toHaveLength(1);
      expect(messages[0]).toContain(c.message);
    });
  });

  it("has at least 25 cases", () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(25);
  });
});
