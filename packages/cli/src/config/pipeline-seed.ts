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
  const resolved = resolveOverrideKey(config, "seed");
  if (resolved.isErr()) return;
  const path = resolved.value;
  const current = valueAt(config, path);
  // Only where a seed is known to be a parameter: written already, or tipi's Hyperparameters.
  const entry = valueAt(config, path.slice(0, 2)) as TomlTable | undefined;
  if (current === undefined && entry?.type !== "Hyperparameters") return;
  const key = JSON.stringify(path);
  const setOnCommandLine = applied.some((a) => JSON.stringify(a.path) === key);
  if (seed === undefined && setOnCommandLine) return;
  setAt(config, path, typeof value === "bigint" ? Number(value) : value);
}

/** The seed the hyperparameters (or the one entry with a seed) use, else `pipeline.seed`. */
export function effectiveSeed(config: TomlTable): number | undefined {
  const used = resolveOverrideKey(config, "seed")
    .map((path) => toNumber(valueAt(config, path)))
    .unwrapOr(undefined);
  return used ?? toNumber((config.pipeline as TomlTable | undefined)?.seed);
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "bigint") return Number(value);
  return typeof value === "number" ? value : undefined;
}
