/** Keys whose values are secrets, wherever they appear in a written object. */
export const SECRET_KEY_PATTERN = /key|token|secret|password/i;

export const REDACTED = "[REDACTED]";

/** Secret values read from the environment; any string containing one is redacted. */
const SECRET_ENV_VARS = ["WANDB_API_KEY"] as const;

const registered = new Set<string>();

/**
 * Adds a secret (e.g. an API key passed as an option rather than through the environment)
 * that every later redaction in this process scrubs.
 */
export function registerSecret(secret: string): void {
  if (secret.length >= 6) registered.add(secret);
}

export interface RedactOptions {
  /** Extra literal secrets to scrub from every string (beside `WANDB_API_KEY`'s value). */
  readonly secrets?: readonly string[];
}

/**
 * Returns a JSON-safe copy of `value` with secrets removed: the value of every key matching
 * {@link SECRET_KEY_PATTERN} (unless it is a number, boolean or null, so metrics such as
 * `tokens_per_s` survive), and every occurrence of `WANDB_API_KEY`'s value inside any string.
 * Errors become `{ name, message, stack }`; functions and symbols are dropped; bigints become
 * strings; cycles become `"[Circular]"`.
 */
export function redactSecrets<T>(value: T, options: RedactOptions = {}): T {
  const secrets = secretValues(options.secrets);
  return redactValue(value, secrets, new WeakSet()) as T;
}

/** Scrubs literal secrets from a string (for error messages and log lines). */
export function redactString(text: string, options: RedactOptions = {}): string {
  return scrub(text, secretValues(options.secrets));
}

function secretValues(extra: readonly string[] = []): string[] {
  const fromEnv = SECRET_ENV_VARS.map((name) => process.env[name]);
  // Very short values would redact innocent text; a real API key is 40 characters.
  return [...fromEnv, ...registered, ...extra].filter(
    (s): s is string => typeof s === "string" && s.length >= 6,
  );
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

function redactValue(value: unknown, secrets: readonly string[], seen: WeakSet<object>): unknown {
  switch (typeof value) {
    case "string":
      return scrub(value, secrets);
    case "number":
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return "[Circular]";
  seen.add(obj);
  try {
    if (obj instanceof Error) {
      const { name, message, stack } = obj;
      const cause = (obj as { cause?: unknown }).cause;
      return redactValue(
        { name, message, stack, ...(cause === undefined ? {} : { cause }) },
        secrets,
        seen,
      );
    }
    if (obj instanceof Date) return obj.toISOString();
    if (Array.isArray(obj)) return obj.map((item) => redactValue(item, secrets, seen) ?? null);
    if (ArrayBuffer.isView(obj)) return Array.from(obj as unknown as ArrayLike<number>);
    if (obj instanceof Map) return redactValue(Object.fromEntries(obj), secrets, seen);
    if (obj instanceof Set) return redactValue([...obj], secrets, seen);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(obj)) {
      if (SECRET_KEY_PATTERN.test(key) && isSecretLike(item)) {
        out[key] = REDACTED;
        continue;
      }
      const redacted = redactValue(item, secrets, seen);
      if (redacted !== undefined) out[key] = redacted;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

function isSecretLike(value: unknown): boolean {
  return !(value === null || typeof value === "number" || typeof value === "boolean");
}
