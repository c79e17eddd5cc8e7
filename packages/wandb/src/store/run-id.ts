import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * A short, sortable, unique run id: `YYYYMMDD-HHMMSS-xxxx` (UTC time, then 4 random base-36
 * characters). Ids sort by creation second; uniqueness on disk is enforced by creating the
 * directory exclusively (see {@link RunStore.create}).
 */
export function newRunId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-23T13:47:12.345Z
  const date = iso.slice(0, 10).replaceAll("-", "");
  const time = iso.slice(11, 19).replaceAll(":", "");
  return `${date}-${time}-${randomSuffix(4)}`;
}

function randomSuffix(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

/** True for ids safe to use as a single path segment. */
export function isValidRunId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) && id !== "." && id !== "..";
}
