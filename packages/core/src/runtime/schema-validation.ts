import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { AnySchema } from "../types/schema.ts";

export type ValidationOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issues: readonly { path: string; message: string }[] };

/** Formats a Standard Schema issue path as `a.b[0]`. */
export function formatIssuePath(path: StandardSchemaV1.Issue["path"]): string {
  if (path === undefined) return "";
  let out = "";
  for (const segment of path) {
    const key = typeof segment === "object" ? segment.key : segment;
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function toOutcome(result: StandardSchemaV1.Result<unknown>): ValidationOutcome {
  if (result.issues === undefined) return { ok: true, value: result.value };
  return {
    ok: false,
    issues: result.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })),
  };
}

/** Validates with any Standard Schema; synchronous when the schema is. */
export function validateWith(
  schema: AnySchema,
  value: unknown,
): ValidationOutcome | Promise<ValidationOutcome> {
  const result = schema["~standard"].validate(value);
  return result instanceof Promise ? result.then(toOutcome) : toOutcome(result);
}
