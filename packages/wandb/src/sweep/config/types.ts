/** The W&B sweep config, validated and with W&B's defaults filled in. */

/** Every distribution W&B accepts (`categorical_w_probabilities` is inferred from `probabilities`). */
export type DistributionName = ParameterSpec["distribution"];

type Bounded<D extends string> = {
  readonly distribution: D;
  readonly min: number;
  readonly max: number;
};
type Quantised = {
  readonly q: number /** `q` was an integer: samples are integers, as in W&B. */;
  readonly qIsInt: boolean;
};
type Gaussian<D extends string> = {
  readonly distribution: D;
  readonly mu: number;
  readonly sigma: number;
};
type Beta<D extends string> = { readonly distribution: D; readonly a: number; readonly b: number };

export type ParameterSpec =
  | { readonly distribution: "constant"; readonly value: unknown }
  | { readonly distribution: "categorical"; readonly values: readonly unknown[] }
  | {
      readonly distribution: "categorical_w_probabilities";
      readonly values: readonly unknown[];
      readonly probabilities: readonly number[];
    }
  | Bounded<"int_uniform">
  | Bounded<"uniform">
  | Bounded<"log_uniform">
  | Bounded<"log_uniform_values">
  | Bounded<"inv_log_uniform">
  | Bounded<"inv_log_uniform_values">
  | (Bounded<"q_uniform"> & Quantised)
  | (Bounded<"q_log_uniform"> & Quantised)
  | (Bounded<"q_log_uniform_values"> & Quantised)
  | Gaussian<"normal">
  | Gaussian<"log_normal">
  | (Gaussian<"q_normal"> & Quantised)
  | (Gaussian<"q_log_normal"> & Quantised)
  | Beta<"beta">
  | (Beta<"q_beta"> & Quantised);

/**
 * One leaf of the parameter tree. `path` has one segment per nesting level
 * (`parameters: { optimizer: { parameters: { lr } } }` gives `["optimizer", "lr"]`); a dotted
 * name such as `optimizer.lr` written at one level stays one segment, as in W&B.
 */
export interface SweepParameter {
  readonly path: readonly string[];
  /** `path` joined with ".": the `--set` key. */
  readonly key: string;
  readonly spec: ParameterSpec;
  /** Its line in the sweep file, when read from one. */
  readonly line?: number;
}

export type SweepMethod = "grid" | "random" | "bayes";

export interface SweepMetric {
  readonly name: string;
  readonly goal: "minimize" | "maximize";
  /** The sweep finishes once a trial reaches this value (W&B's `metric.target`). */
  readonly target?: number;
}

export interface HyperbandConfig {
  readonly type: "hyperband";
  readonly eta: number;
  readonly strict: boolean;
  readonly maxIter?: number;
  readonly s?: number;
  readonly minIter?: number;
  /** Iterations (history rows of the metric) at which trials are compared, ascending. */
  readonly bands: readonly number[];
}

export interface SweepConfig {
  readonly method: SweepMethod;
  readonly metric?: SweepMetric;
  /** Leaves in W&B's order: keys sorted at each nesting level. */
  readonly parameters: readonly SweepParameter[];
  readonly earlyTerminate?: HyperbandConfig;
  readonly runCap?: number;
  readonly name?: string;
  readonly description?: string;
  readonly program?: string;
  readonly command?: readonly unknown[];
  /** The file it was read from, when it was. */
  readonly file?: string;
  /** The config as written (after YAML 1.1 / TOML parsing). */
  readonly raw: Readonly<Record<string, unknown>>;
}
