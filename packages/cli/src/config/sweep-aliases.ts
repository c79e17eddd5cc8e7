/**
 * `[pipeline.aliases]`: names written for another program (a W&B sweep's
 * `optimizer.config.learning_rate`, Hydra's `dataset.train_batch`) mapped onto the pipeline's
 * own keys, so that an override with such a name lands where it belongs.
 */
import { isTable } from "@tipi/core";
import type { Override } from "../cli/parse-args.ts";
import type { TomlTable } from "./toml-document.ts";

/** The alias table of a config (`[pipeline.aliases]`), string values only. */
function aliasTable(config: TomlTable): ReadonlyMap<string, string> {
  const pipeline = config.pipeline;
  const table = isTable(pipeline) ? pipeline.aliases : undefined;
  if (!isTable(table)) return new Map();
  return new Map(
    Object.entries(table).filter(
      (entry): entry is [string, string] => typeof entry[1] === "string",
    ),
  );
}

/**
 * Renames overrides whose key is an alias, or starts with one followed by a dot
 * (`optimizer.config` → `hyperparameters` turns `optimizer.config.lr` into `hyperparameters.lr`);
 * the longest alias wins. Other overrides are returned as they are.
 * @example
 * applyAliases({ pipeline: { aliases: { "model.lr": "hyperparameters.lr" } } }, overrides)
 */
export function applyAliases(config: TomlTable, overrides: readonly Override[]): Override[] {
  const aliases = aliasTable(config);
  if (aliases.size === 0) return [...overrides];
  const names = [...aliases.keys()].sort((a, b) => b.length - a.length);
  return overrides.map((override) => {
    const alias = names.find((n) => override.key === n || override.key.startsWith(`${n}.`));
    if (alias === undefined) return override;
    const key = `${aliases.get(alias)}${override.key.slice(alias.length)}`;
    return { ...override, key };
  });
}
