import { isTable } from "@tipi/core";
import type { WandBLoggerOptions } from "./wandb-logger.ts";

type Issue = { readonly message: string; readonly path?: readonly PropertyKey[] };
type ValidationResult =
  | { readonly value: WandBLoggerOptions }
  | { readonly issues: readonly Issue[] };

const STRING_KEYS = [
  "project",
  "entity",
  "name",
  "apiKey",
  "baseUrl",
  "runDir",
  "root",
  "pipeline",
] as const;
const TIMEOUT_KEYS = ["initMs", "finishMs", "requestMs", "syncMs"] as const;
const MODES = ["online", "offline", "disabled"];

/**
 * The Standard Schema of {@link WandBLogger}'s params, for config-built pipelines
 * (`[permanences.logger] type = "WandBLogger"`). Hand-written so @tipi/wandb needs no
 * schema library; snake_case keys (`sync_on_finish`, `base_url`) are accepted too.
 */
export const wandbLoggerParams = {
  "~standard": {
    version: 1 as const,
    vendor: "tipi",
    validate(input: unknown): ValidationResult {
      if (typeof input !== "object" || input === null || Array.isArray(input)) {
        return { issues: [{ message: "expected a table of WandBLogger params" }] };
      }
      const issues: Issue[] = [];
      const out: Record<string, unknown> = {};
      for (const [rawKey, value] of Object.entries(input)) {
        const key = rawKey.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
        const at = { path: [rawKey] };
        if (key === "type") continue;
        if (key === "mode") {
          if (typeof value === "string" && MODES.includes(value)) out.mode = value;
          else issues.push({ ...at, message: `mode must be one of ${MODES.join(", ")}` });
        } else if ((STRING_KEYS as readonly string[]).includes(key)) {
          if (typeof value === "string") out[key] = value;
          else issues.push({ ...at, message: `${rawKey} must be a string` });
        } else if (key === "tags") {
          if (Array.isArray(value) && value.every((t) => typeof t === "string")) out.tags = value;
          else issues.push({ ...at, message: "tags must be a list of strings" });
        } else if (key === "syncOnFinish") {
          if (typeof value === "boolean") out.syncOnFinish = value;
          else issues.push({ ...at, message: `${rawKey} must be true or false` });
        } else if (key === "config") {
          if (isTable(value)) out.config = value;
          else issues.push({ ...at, message: "config must be a table" });
        } else if (key === "timeouts") {
          const timeouts = parseTimeouts(value, rawKey, issues);
          if (timeouts !== undefined) out.timeouts = timeouts;
        } else {
          issues.push({ ...at, message: `unknown WandBLogger param "${rawKey}"` });
        }
      }
      return issues.length > 0 ? { issues } : { value: out as WandBLoggerOptions };
    },
  },
};

function parseTimeouts(
  value: unknown,
  rawKey: string,
  issues: Issue[],
): Record<string, number> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    issues.push({ path: [rawKey], message: "timeouts must be a table of milliseconds" });
    return undefined;
  }
  const out: Record<string, number> = {};
  for (const [rawName, ms] of Object.entries(value)) {
    const name = rawName.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(TIMEOUT_KEYS as readonly string[]).includes(name)) {
      issues.push({
        path: [rawKey, rawName],
        message: `unknown timeout "${rawName}" (${TIMEOUT_KEYS.join(", ")})`,
      });
    } else if (typeof ms !== "number" || !(ms > 0)) {
      issues.push({
        path: [rawKey, rawName],
        message: "a timeout must be a positive number of milliseconds",
      });
    } else {
      out[name] = ms;
    }
  }
  return out;
}
