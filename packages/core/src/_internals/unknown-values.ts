/**
 * Two questions every package asks of a value it did not type: is it a table (a plain
 * key/value object, as TOML, JSON and YAML tables parse), and what does a thrown value say.
 * One copy here, shared by @tipi/cli, @tipi/tfjs and @tipi/wandb.
 * @internal
 */

/** True for a key/value object: not `null`, not an array. */
export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The message of anything thrown: an `Error`'s `message`, else the value as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
