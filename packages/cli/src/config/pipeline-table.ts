import { didYouMean } from "@tipi/core/did-you-mean";
import type { ConfigProblem } from "./problems.ts";
import type { TomlDocument } from "./toml-document.ts";

/** One key of the `[pipeline]` table: documented in docs/config.md (generated from this). */
export interface PipelineKeyDef {
  readonly key: string;
  readonly type: "string" | "integer" | "string[]" | "boolean" | "table of strings";
  readonly values?: readonly string[];
  readonly description: string;
  readonly example: string;
}

export const PIPELINE_KEYS: readonly PipelineKeyDef[] = [
  {
    key: "name",
    type: "string",
    description:
      "The pipeline's name: shown in the UI, and the folder of its runs (`runs/<name>/`). Default: the file's directory name.",
    example: 'name = "fashion-mnist"',
  },
  {
    key: "description",
    type: "string",
    description: "One line shown by `tipi list`.",
    example: 'description = "Small CNN on Fashion-MNIST"',
  },
  {
    key: "modules",
    type: "string[]",
    description:
      "TypeScript or JavaScript modules (paths relative to this file, or package names) that register the permanence and process types this file uses; see Registering your own types.",
    example: 'modules = ["./processes.ts"]',
  },
  {
    key: "seed",
    type: "integer",
    description:
      "The run's random seed: also the hyperparameters' `seed` (over the one written there), recorded in the run's metadata; `--seed` overrides it.",
    example: "seed = 42",
  },
  {
    key: "logger",
    type: "string",
    values: ["local", "wandb", "none"],
    description:
      "Where metrics go besides the run directory, which is always written: `wandb` adds a `WandBLogger` permanence (first, so it finishes last) that streams them to Weights & Biases (`WANDB_MODE`, `WANDB_PROJECT`, `WANDB_API_KEY`); what it cannot deliver, `tipi sync` uploads later.",
    example: 'logger = "local"',
  },
  {
    key: "aliases",
    type: "table of strings",
    description:
      "Other names for config keys, for overrides written for another program (a W&B sweep's parameter names, Hydra-style dotted names): an override whose key is an alias, or starts with one and a dot, sets the key the alias names. See docs/sweeps-across-machines.md.",
    example: 'aliases = { "optimizer.config.learning_rate" = "hyperparameters.learningRate" }',
  },
];

/** Checks the CLI-owned `[pipeline]` table; core only reads its `name`. */
export function checkPipelineTable(doc: TomlDocument, table: unknown): ConfigProblem[] {
  if (table === undefined) return [];
  if (typeof table !== "object" || table === null || Array.isArray(table))
    return [doc.problem(["pipeline"], "must be a table")];
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(table)) {
    const def = PIPELINE_KEYS.find((d) => d.key === key);
    const path = ["pipeline", key];
    if (def === undefined) {
      problems.push(
        doc.problem(
          path,
          "unknown key",
          didYouMean(
            key,
            PIPELINE_KEYS.map((d) => d.key),
          ) ?? `[pipeline] takes ${PIPELINE_KEYS.map((d) => d.key).join(", ")}`,
        ),
      );
      continue;
    }
    const problem = checkValue(def, value);
    if (problem) problems.push(doc.problem(path, problem));
  }
  return problems;
}

function checkValue(def: PipelineKeyDef, value: unknown): string | undefined {
  switch (def.type) {
    case "string":
      if (typeof value !== "string") return `must be a string, got ${describe(value)}`;
      if (def.values && !def.values.includes(value))
        return `must be one of ${def.values.map((v) => `"${v}"`).join(", ")}, got "${value}"`;
      return undefined;
    case "integer":
      return typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value))
        ? undefined
        : `must be an integer, got ${describe(value)}`;
    case "boolean":
      return typeof value === "boolean"
        ? undefined
        : `must be true or false, got ${describe(value)}`;
    case "string[]":
      return Array.isArray(value) && value.every((v) => typeof v === "string")
        ? undefined
        : `must be an array of strings, got ${describe(value)}`;
    case "table of strings":
      return typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((v) => typeof v === "string")
        ? undefined
        : `must be a table of key = "target.key" strings, got ${describe(value)}`;
  }
}

export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "a table";
  return `${typeof value === "bigint" ? value.toString() : String(value)}`;
}
