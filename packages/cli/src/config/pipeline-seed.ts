import type { AppliedOverride } from "./overrides.ts";
import { resolveOverrideKey, setAt, valueAt } from "./overrides.ts";
import type { TomlTable } from "./toml-document.ts";

/**
 * The run's seed (`--seed`, else `[pipeline] seed` from the files) is written to `pipeline.seed`
 * and to the `seed` of the hyperparameters permanence (or the one entry that has a `seed`), so
 * that meta.json's seed is the one training uses. Only `--set <entry>.seed=…` (without `--seed`)
 * keeps its own value.
 */
export function applySeed(
  config: TomlTable,
  seed: number | undefined,
  applied: readonly AppliedOverride[],
): void {
  if (seed !== undefined) setAt(config, ["pipeline", "seed"], seed);
  const value = seed ?? (config.pipeline as TomlTable | undefined)?.seed;
  if (value === undefined) return;
  const target = resolveOverrideKey(config, "seed");
  if (!("path" in target)) return;
  const current = valueAt(config, target.path);
  // Only where a seed is known to be a parameter: written already, or tipi's Hyperparameters.
  const entry = valueAt(config, target.path.slice(0, 2)) as TomlTable | undefined;
  if (current === undefined && entry?.type !== "Hyperparameters") return;
  const key = JSON.stringify(target.path);
  const setOnCommandLine = applied.some((a) => JSON.stringify(a.path) === key);
  if (seed === undefined && setOnCommandLine) return;
  setAt(config, target.path, typeof value === "bigint" ? Number(value) : value);
}

/** The seed the hyperparameters (or the one entry with a seed) use, else `pipeline.seed`. */
export function effectiveSeed(config: TomlTable): number | undefined {
  const target = resolveOverrideKey(config, "seed");
  const used = "path" in target ? toNumber(valueAt(config, target.path)) : undefined;
  return used ?? toNumber((config.pipeline as TomlTable | undefined)?.seed);
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "bigint") return Number(value);
  return typeof value === "number" ? value : undefined;
}
