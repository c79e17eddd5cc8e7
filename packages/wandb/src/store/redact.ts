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

/**
 * Names that certainly hold a secret (`api_key`, `apiKey`, `auth_token`, `client_secret`,
 * `password`): their values are registered by {@link registerSecretsIn}. Narrower than
 * {@link SECRET_KEY_PATTERN}, so that `tokenizer = "bpe"` does not make "bpe" a secret.
 */
export const SECRET_NAME_PATTERN = /(api[_-]?key|token|secret|password|passwd)$/i;

/**
 * Registers (see {@link registerSecret}) every string in `value` held under a name matching
 * {@link SECRET_NAME_PATTERN}: a key written in a config file or given with `--set` is then
 * scrubbed from every later output, wherever it is echoed (an error message, the command line
 * recorded in `meta.json`).
 */
export function registerSecretsIn(value: unknown, seen = new WeakSet<object>()): void {
  if (typeof value !== "object" || value === null || seen.has(value)) return;
  seen.add(value);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === "string" && SECRET_NAME_PATTERN.test(key)) registerSecret(item);
    else registerSecretsIn(item, seen);
  }
}

export interface RedactOptions {
  /** Extra literal secrets to scrub from every string (beside `WANDB_API_KEY`'s value). */
  readonly secrets?: readonly string[];
  /**
   * Also replace the value of every key matching {@link SECRET_KEY_PATTERN} (default `true`).
   * `false` scrubs only the literal secrets, for records read back as data (`sweep.json`'s
   * trial params, where `tokenizer = "bpe"` must survive).
   */
  readonly byKey?: boolean;
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
  return redactValue(value, secrets, new WeakSet(), options.byKey !== false) as T;
}

/** Scrubs literal secrets from a string (for error messages and log lines). */
export function redactString(text: string, options: RedactOptions = {}): string {
  return scrub(text, secretValues(options.secrets));
}

function secretValues(extra: readonly string[] = []): string[] {
  const fromEnv = SECRET_ENV_VARS.map((name) => process.env[name]);
  // Very short values would redact innocent text; a real API key is 40 characters.
  const secrets = [...fromEnv, ...registered, ...extra].filter(
    (s): s is string => typeof s === "string" && s.length >= 6,
  );
  // The key also travels as HTTP Basic credentials (`api:<key>` in base64): an error that
  // echoes a request's headers must not leak it in that form either.
  const encoded = secrets.map((s) => Buffer.from(`api:${s}`).toString("base64"));
  // Longest first, so a secret containing another is replaced whole.
  return [...new Set([...secrets, ...encoded])].sort((a, b) => b.length - a.length);
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

function redactValue(
  value: unknown,
  secrets: readonly string[],
  seen: WeakSet<object>,
  byKey: boolean,
): unknown {
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
        byKey,
      );
    }
    if (obj instanceof Date) return obj.toISOString();
    if (Array.isArray(obj))
      return obj.map((item) => redactValue(item, secrets, seen, byKey) ?? null);
    if (ArrayBuffer.isView(obj)) return Array.from(obj as unknown as ArrayLike<number>);
    if (obj instanceof Map) return redactValue(Object.fromEntries(obj), secrets, seen, byKey);
    if (obj instanceof Set) return redactValue([...obj], secrets, seen, byKey);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(obj)) {
      if (byKey && SECRET_KEY_PATTERN.test(key) && isSecretLike(item)) {
        out[scrub(key, secrets)] = REDACTED;
        continue;
      }
      const redacted = redactValue(item, secrets, seen, byKey);
      // A secret can be a key too (a figure named after one): scrub names as well as values.
      if (redacted !== undefined) out[scrub(key, secrets)] = redacted;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

function isSecretLike(value: unknown): boolean {
  return !(value === null || typeof value === "number" || typeof value === "boolean");
}

/**
 * Scrubs secrets from a stream of text chunks (a child process's output going to a log file),
 * including a secret split across two chunks: the end of a chunk that could begin a secret is
 * held back until the next chunk (or {@link end}) shows whether it does.
 *
 * @example
 * const scrubber = new SecretScrubber();
 * child.stdout.on("data", (chunk) => log.write(scrubber.push(chunk.toString())));
 * child.on("close", () => log.end(scrubber.end()));
 */
export class SecretScrubber {
  #pending = "";

  constructor(readonly options: RedactOptions = {}) {}

  /** Takes the next chunk; returns the text that is safe to write now. */
  push(chunk: string): string {
    const secrets = secretValues(this.options.secrets);
    const text = scrub(this.#pending + chunk, secrets);
    const hold = heldBack(text, secrets);
    this.#pending = text.slice(text.length - hold);
    return text.slice(0, text.length - hold);
  }

  /** The text held back, scrubbed; call once the stream ended. */
  end(): string {
    const rest = scrub(this.#pending, secretValues(this.options.secrets));
    this.#pending = "";
    return rest;
  }
}

/** The length of the longest end of `text` that is the start of a secret. */
function heldBack(text: string, secrets: readonly string[]): number {
  let longest = 0;
  for (const secret of secrets) {
    for (let n = Math.min(secret.length - 1, text.length); n > longest; n--) {
      if (text.endsWith(secret.slice(0, n))) {
        longest = n;
        break;
      }
    }
  }
  return longest;
}
