/** Trial parameters as a nested config object, and the `--set key=value` flags that carry them. */
import { isTable } from "@tipi/core";
import type { SweepParameter } from "../config/types.ts";

/** A trial's parameters, nested the way the sweep config nests them (W&B's run config). */
export type TrialParams = Record<string, unknown>;

/** Builds the nested config from one value per parameter (in `parameters` order). */
export function nestParams(
  parameters: readonly SweepParameter[],
  values: readonly unknown[],
): TrialParams {
  const root: TrialParams = {};
  parameters.forEach((param, i) => {
    let node = root;
    param.path.slice(0, -1).forEach((segment) => {
      const child = node[segment];
      if (isTable(child)) node = child;
      else {
        const fresh: TrialParams = {};
        node[segment] = fresh;
        node = fresh;
      }
    });
    node[param.path[param.path.length - 1] as string] = values[i];
  });
  return root;
}

/** The value of one parameter in a nested config (undefined when absent). */
export function paramValue(params: TrialParams, param: SweepParameter): unknown {
  let node: unknown = params;
  for (const segment of param.path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as TrialParams)[segment];
  }
  return node;
}

/** Formats a value for the command line: strings as they are, everything else as JSON. */
export function formatFlagValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `["--set", "optimizer.lr=0.01", …]` for `tipi run`, one pair per parameter. */
export function paramsToSetFlags(
  parameters: readonly SweepParameter[],
  params: TrialParams,
): string[] {
  return parameters.flatMap((param) => [
    "--set",
    `${param.key}=${formatFlagValue(paramValue(params, param))}`,
  ]);
}

/** JSON with object keys sorted, so equal values always give equal text. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableStringify((value as TrialParams)[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A stable identity for a combination of values (1.0 and 1 are the same, as in W&B's grid). */
export const valuesHash = (values: readonly unknown[]): string => stableStringify(values);
