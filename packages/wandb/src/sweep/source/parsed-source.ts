/** A key path inside a config file: object keys and array indices. */
export type SourcePath = readonly (string | number)[];

/**
 * A config file read into plain values, plus what plain values lose: which numbers were
 * written as floats (`10.0`) and the line of each key, both keyed by {@link pathKey}.
 */
export interface ParsedSource {
  readonly value: unknown;
  readonly floats: ReadonlySet<string>;
  readonly lines: ReadonlyMap<string, number>;
}

export const pathKey = (path: SourcePath): string => JSON.stringify(path);

/** Formats a key path as `parameters.optimizer.parameters.lr.min` (indices as `[0]`). */
export function formatPath(path: SourcePath): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part),
    "",
  );
}
