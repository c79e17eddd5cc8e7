/** The files `tipi init` writes, keyed by path relative to the new project. */
export function projectFiles(
  name: string,
  dependency: (pkg: string) => string,
): Record<string, string> {
  return {
    "package.json": `${JSON.stringify(
      {
        name,
        version: "0.1.0",
        private: true,
        type: "module",
        scripts: {
          start: "tipi run .",
          validate: "tipi validate .",
          test: "node --import @tipi/cli/register test/pipeline.test.ts",
        },
        dependencies: {
          "@tipi/cli": dependency("@tipi/cli"),
          "@tipi/core": dependency("@tipi/core"),
        },
      },
      null,
      2,
    )}\n`,
    ".gitignore": "node_modules/\nruns/\n",
    "pipeline.toml": `# The pipeline: permanences live for the whole run, processes run in file order.
# Run it: tipi run .          Check it: tipi validate .          See it: tipi graph .
[pipeline]
name = "${name}"
description = "A starter pipeline made by tipi init"
modules = ["./processes.ts"]   # registers NumberStore, Generate, Summarize

[permanences.store]
type = "NumberStore"

[processes.generate]
type = "Generate"
count = 1000
seed = 1

[processes.summarize]
type = "Summarize"
`,
    "processes.ts": `import {
  type LifecycleContext,
  type Permanence,
  PipelineProcess,
  type ProcessContext,
  type Registry,
  type StandardSchemaV1,
} from "@tipi/core";

/** A tiny Standard Schema (zod, valibot or arktype work the same way). */
function params<T>(parse: (input: Record<string, unknown>) => T | string): StandardSchemaV1<unknown, T> {
  return {
    "~standard": {
      version: 1,
      vendor: "${name}",
      validate(input) {
        const value = parse((input ?? {}) as Record<string, unknown>);
        return typeof value === "string" ? { issues: [{ message: value }] } : { value };
      },
    },
  };
}

/** A permanence: created before the first process, cleaned up after the last one. */
export class NumberStore implements Permanence {
  numbers: number[] = [];

  cleanup(_ctx: LifecycleContext): void {
    this.numbers = [];
  }
}

interface GenerateParams {
  count: number;
  seed: number;
}

/** Fills the store with \`count\` pseudo-random numbers in [0, 1). */
export class Generate extends PipelineProcess<GenerateParams> {
  static override readonly params = params<GenerateParams>(({ count = 100, seed = 1, ...rest }) => {
    if (Object.keys(rest).length > 0) return \`unknown key \${Object.keys(rest)[0]}\`;
    if (typeof count !== "number" || count < 1) return "count must be a positive number";
    if (typeof seed !== "number") return "seed must be a number";
    return { count, seed };
  });

  execute(ctx: ProcessContext): number {
    const store = ctx.get("store") as NumberStore;
    let state = this.params.seed >>> 0 || 1;
    for (let i = 0; i < this.params.count; i++) {
      state = (state * 1664525 + 1013904223) >>> 0;
      store.numbers.push(state / 2 ** 32);
      ctx.emit({ type: "progress", id: "generate", label: "Numbers", current: i + 1, total: this.params.count });
    }
    return store.numbers.length;
  }
}

/** Reports the mean of the stored numbers as a metric and returns it. */
export class Summarize extends PipelineProcess {
  execute(ctx: ProcessContext): { count: number; mean: number } {
    const { numbers } = ctx.get("store") as NumberStore;
    const mean = numbers.reduce((sum, n) => sum + n, 0) / numbers.length;
    ctx.emit({ type: "metric", values: { mean, count: numbers.length } });
    console.log(\`mean of \${numbers.length} numbers: \${mean.toFixed(4)}\`);
    return { count: numbers.length, mean };
  }
}

/** Called by tipi for \`[pipeline] modules = ["./processes.ts"]\`. */
export function register(registry: Registry): void {
  registry
    .registerPermanence("NumberStore", NumberStore)
    .registerProcess("Generate", Generate)
    .registerProcess("Summarize", Summarize);
}
`,
    "test/pipeline.test.ts": `import assert from "node:assert/strict";
import { test } from "node:test";
import { buildPipeline, Registry } from "@tipi/core";
import { register } from "../processes.ts";

test("the pipeline averages the numbers it generates", async () => {
  const registry = new Registry();
  register(registry);
  const built = buildPipeline(
    {
      permanences: { store: { type: "NumberStore" } },
      processes: { generate: { type: "Generate", count: 200, seed: 3 }, summarize: { type: "Summarize" } },
    },
    registry,
  );
  if (built.isErr()) throw new Error(JSON.stringify(built.error));
  const result = await built.value.run({});
  if (result.isErr()) throw new Error(result.error.message);
  const state = result.value as { summarize: { count: number; mean: number } };
  assert.equal(state.summarize.count, 200);
  assert.ok(state.summarize.mean > 0.3 && state.summarize.mean < 0.7);
});

test("a bad parameter is reported with its key path", () => {
  const registry = new Registry();
  register(registry);
  const built = buildPipeline(
    { permanences: { store: { type: "NumberStore" } }, processes: { generate: { type: "Generate", count: -1 } } },
    registry,
  );
  assert.ok(built.isErr());
  assert.deepEqual(built.error[0]?.path.slice(0, 2), ["processes", "generate"]);
});
`,
    "README.md": `# ${name}

A tipi pipeline. \`pipeline.toml\` wires the permanence and processes from \`processes.ts\`.

\`\`\`sh
pnpm start          # tipi run .   (a run directory appears in runs/${name}/)
pnpm test           # the pipeline's own tests
tipi run . --set generate.count=10
\`\`\`
`,
  };
}
