import type { StandardSchemaV1 } from "@standard-schema/spec";
import { err, ok, type Result } from "neverthrow";
import type { AnySchema } from "../types/schema.ts";

/** One validation problem: where (`a.b[0]`) and what. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** The validated (possibly transformed) value, or every issue found. */
export type Validated = Result<unknown, readonly ValidationIssue[]>;

/** Formats a Standard Schema issue path as `a.b[0]`. */
function formatIssuePath(path: StandardSchemaV1.Issue["path"]): string {
  if (path === undefined) return "";
  let out = "";
  for (const segment of path) {
    const key = typeof segment === "object" ? segment.key : segment;
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function toResult(result: StandardSchemaV1.Result<unknown>): Validated {
  if (result.issues === undefined) return ok(result.value);
  return err(result.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })));
}

/** Validates with any Standard Schema; synchronous when the schema is. */
export function validateWith(schema: AnySchema, value: unknown): Validated | Promise<Validated> {
  const result = schema["~standard"].validate(value);
  return result instanceof Promise ? result.then(toResult) : toResult(result);
}
