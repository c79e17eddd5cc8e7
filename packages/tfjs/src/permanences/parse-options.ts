import type { z } from "zod";

/**
 * Parses a permanence's constructor options: the value, or a TypeError that reads like the TOML
 * loader's problems (`Device: workers: expected "auto" or a positive integer …`). zod's own
 * error message is its issues as JSON, which `tipi run` printed as it was.
 */
export function parseOptions<S extends z.ZodType>(
  owner: string,
  schema: S,
  options: unknown,
): z.output<S> {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const issues = result.error.issues.map(
    (issue) => `${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`,
  );
  throw new TypeError(`${owner}: ${issues.join("; ")}`);
}
