/**
 * W&B's deprecation warnings for a sweep config, worded as W&B's server words them and printed
 * the way the wandb CLI prints its `configValidationWarnings`.
 */
import type { DistributionName, SweepConfig } from "./types.ts";

/** The distributions W&B deprecates, and what replaces them. */
const REPLACED: Partial<Record<DistributionName, DistributionName>> = {
  log_uniform: "log_uniform_values",
  inv_log_uniform: "inv_log_uniform_values",
  q_log_uniform: "q_log_uniform_values",
};

/**
 * One warning per parameter with a deprecated distribution:
 * `lr uses log_uniform, where min/max specify base-e exponents. Use log_uniform_values to specify limit values.`
 */
export function sweepDeprecations(config: SweepConfig): string[] {
  return config.parameters.flatMap((param) => {
    const replacement = REPLACED[param.spec.distribution];
    return replacement === undefined
      ? []
      : [
          `${param.key} uses ${param.spec.distribution}, where min/max specify base-e exponents. Use ${replacement} to specify limit values.`,
        ];
  });
}

/**
 * The lines the wandb CLI prints for config warnings (`wandb: WARNING Malformed sweep config
 * detected! …`, then `  Violation N. …`), with `prefix` in front of each; none for no warnings.
 */
export function formatSweepWarnings(
  warnings: readonly string[],
  prefix = "tipi: WARNING ",
): string[] {
  if (warnings.length === 0) return [];
  return [
    "Malformed sweep config detected! This may cause your sweep to behave in unexpected ways.",
    "To avoid this, please fix the sweep config schema violations below:",
    ...warnings.map((warning, i) => `  Violation ${i + 1}. ${warning}`),
  ].map((line) => `${prefix}${line}`);
}
