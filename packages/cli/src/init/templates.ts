/** What a template needs to know about the project it writes. */
export interface TemplateContext {
  /** The package name (lower case, npm-safe). */
  readonly name: string;
  /** The dependency specifier of a tipi package: `^x.y.z`, or `workspace:*` in this workspace. */
  readonly tipi: string;
  /** Versions of third-party packages, read from tipi's own dependencies where they must match. */
  readonly versions: {
    readonly typescript: string;
    readonly vitest: string;
    readonly zod: string;
    readonly tfjsCore: string;
    readonly typesNode: string;
    readonly tsx: string;
  };
}

/** The files a template writes, keyed by path relative to the new project. */
export type ProjectFiles = Record<string, string>;

const GITIGNORE = "node_modules/\nruns/\ndist/\n*.tsbuildinfo\n";

/**
 * Strict, as a careful user's project is. skipLibCheck: TensorFlow.js's own declarations do not
 * pass strict checks (tfjs-layers' LayersModel under strictNullChecks); tipi's do, with it off.
 */
const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true,
    "noPropertyAccessFromIndexSignature": true,
    "verbatimModuleSyntax": true,
    // TensorFlow.js's declaration files fail strict checks of their own; tipi's pass
    "skipLibCheck": true,
    "allowImportingTsExtensions": true,
    "noEmit": true,
    "types": ["node"]
  },
  "include": ["*.ts", "test"]
}
`;

function packageJson(
  context: TemplateContext,
  scripts: Record<string, string>,
  dependencies: Record<string, string>,
  devDependencies: Record<string, string> = {},
): string {
  const { versions } = context;
  return `${JSON.stringify(
    {
      name: context.name,
      version: "0.1.0",
      private: true,
      type: "module",
      scripts: { ...scripts, typecheck: "tsc", test: "tsc && vitest run" },
      dependencies: { tipi: context.tipi, ...dependencies },
      devDependencies: {
        "@types/node": versions.typesNode,
        typescript: versions.typescript,
        vitest: versions.vitest,
        ...devDependencies,
      },
      // npm 11 runs no dependency's install script it was not told about, and lists the ones
      // it skipped after every install: esbuild's (under tsx) only checks its binary
      allowScripts: { esbuild: false },
    },
    null,
    2,
  )}\n`;
}

/** `tipi init <dir>`: a small typed training pipeline that runs in seconds, with a unit test. */
export function starterFiles(context: TemplateContext): ProjectFiles {
  const { name } = context;
  return {
    "package.json": packageJson(
      context,
      { start: "tipi run pipeline.ts", validate: "tipi validate pipeline.ts" },
      { zod: context.versions.zod },
    ),
    "tsconfig.json": TSCONFIG,
    ".gitignore": GITIGNORE,
    "pipeline.ts": `import {
  Data,
  Device,
  evaluateStage,
  Hyperparameters,
  mlp,
  Network,
  Pipeline,
  trainJoin,
  trainResultSchema,
} from "tipi";
import { z } from "zod";

/** The state after the \`train\` join, checked at run time (any Standard Schema works). */
const Trained = z.object({ plan: z.string(), training: trainResultSchema });

/**
 * A small MLP on the Fashion-MNIST subset that ships with tipi (no download): 4,096 training
 * images, 2 epochs, a few seconds on a CPU. Change the permanences to make it yours.
 */
export const base = Pipeline.create({ name: "${name}" })
  .provide({ device: () => new Device({ backend: "auto" }) })
  .provide({
    hyperparameters: () =>
      new Hyperparameters({ epochs: 2, batchSize: 64, learningRate: 1e-3, seed: 42 }),
    data: () =>
      new Data({ source: "fashion-mnist", valFraction: 0.1, trainLimit: 4096, testLimit: 1000 }),
  })
  .provide({ network: (deps) => new Network({ build: mlp }, deps) })
  .stage("plan", (_state, ctx) => {
    const { epochs, batchSize, learningRate } = ctx.get("hyperparameters").values;
    return { plan: \`\${epochs} epochs, batch \${batchSize}, learning rate \${learningRate}\` };
  })
  .requireJoin("train", Trained)
  .stage("evaluate", evaluateStage());

/** The pipeline \`tipi run pipeline.ts\` runs: the default training loop fills the join. */
export default base.provideJoin("train", trainJoin());
`,
    "test/pipeline.test.ts": `import { Hyperparameters } from "tipi";
import { runStep } from "tipi/testing";
import { expect, test } from "vitest";
import pipeline from "../pipeline.ts";

test("plan describes the hyperparameters it is given", async () => {
  // One step, with a real Hyperparameters and empty fakes for the rest: no data, no training.
  const { result } = await runStep(
    pipeline,
    "plan",
    undefined,
    {
      permanences: {
        hyperparameters: new Hyperparameters({ epochs: 3, batchSize: 32, learningRate: 0.01 }),
        device: {},
        data: {},
        network: {},
      },
    },
  );
  expect(result._unsafeUnwrap().plan).toBe("3 epochs, batch 32, learning rate 0.01");
});
`,
    "README.md": `# ${name}

A [tipi](https://www.npmjs.com/package/tipi) training pipeline, made by \`tipi init\`.

\`\`\`sh
npm install
npm start        # tipi run pipeline.ts: trains, evaluates, writes runs/${name}/<run-id>/
npm test         # tsc (strict) and vitest: test/pipeline.test.ts runs one stage alone
npx tipi runs    # the runs so far, with their metrics
\`\`\`

\`pipeline.ts\` is an ordinary TypeScript module: its default export is the pipeline. The
permanences (\`device\`, \`hyperparameters\`, \`data\`, \`network\`) live for the whole run; the
steps (\`plan\` → \`train\` → \`evaluate\`) run in order, each seeing the state the one before
returned. \`requireJoin("train")\` leaves a typed hole that \`provideJoin\` fills with tipi's
training loop: replace it with your own to change how training works.

For the full Fashion-MNIST example (a CNN, the same pipeline in TOML, a hand-written loop):
\`npx tipi init my-project --example fashion-mnist\`.
`,
  };
}

/**
 * `tipi init <dir> --example fashion-mnist`: the repository's default pipeline
 * (examples/fashion-mnist, copied into this package at build), with a test and a README.
 */
export function fashionMnistFiles(
  context: TemplateContext,
  exampleFiles: ProjectFiles,
): ProjectFiles {
  const { name } = context;
  return {
    ...exampleFiles,
    "package.json": packageJson(
      context,
      {
        start: "tipi run pipeline.toml",
        small:
          "tipi run pipeline.toml --set hyperparameters.epochs=1 --set data.trainLimit=1024 --set data.testLimit=500",
        train: "tipi run pipeline.ts",
        custom: "tsx custom-train.ts --epochs 1 --train-limit 1024",
      },
      { zod: context.versions.zod, "@tensorflow/tfjs-core": context.versions.tfjsCore },
      { tsx: context.versions.tsx },
    ),
    "tsconfig.json": TSCONFIG,
    ".gitignore": GITIGNORE,
    "test/pipeline.test.ts": `import { runStep } from "tipi/testing";
import { expect, test } from "vitest";
import { fashionMnistPipeline } from "../pipeline.ts";

test("describe reports the backend, the network's size and the training images", async () => {
  const pipeline = fashionMnistPipeline({
    device: { backend: "cpu" },
    data: { trainLimit: 256, testLimit: 100 },
  });
  const { result } = await runStep(pipeline, "describe", undefined);
  const described = result._unsafeUnwrap();
  expect(described.backend).toBe("cpu");
  expect(described.parameters).toBeGreaterThan(10_000);
  expect(described.trainSamples).toBe(256);
});
`,
    "README.md": `# ${name}

tipi's default pipeline, made by \`tipi init --example fashion-mnist\`: a small CNN trained on a
12,000/2,000-image subset of Fashion-MNIST that ships with tipi (no download, no GPU).

\`\`\`sh
npm install
npm run small     # 1 epoch on 1,024 images: a minute or less
npm start         # the full run (9 epochs, ~88% test accuracy, a few minutes on 2 cores)
npm test          # tsc (strict) and vitest
npx tipi runs     # past runs and their metrics
\`\`\`

| file | what it is |
| --- | --- |
| \`pipeline.toml\` | the pipeline as configuration: \`tipi run pipeline.toml --set hyperparameters.epochs=2\` |
| \`pipeline.ts\` | the same pipeline in the typed DSL; \`fashionMnistBase()\` leaves the \`train\` join open |
| \`model.ts\` | the network (tipi's \`smallCnn\`): write your own \`ModelBuilder\` here |
| \`train.ts\` | runs \`pipeline.ts\` from a script, no CLI: \`npx tsx train.ts --epochs 1\` |
| \`custom-train.ts\` | the same pipeline with a hand-written training loop in the join |
| \`sweep.yaml\` | a learning-rate and batch-size search: \`npx tipi sweep pipeline.toml sweep.yaml --parallel 2\` |

Ctrl-C stops at a batch boundary with a checkpoint; \`npx tipi run pipeline.toml --resume last\`
continues where it stopped. \`npx tipi report\` writes an HTML report of the newest run,
\`npx tipi runs --compare last~1 last\` compares the last two.
`,
  };
}
