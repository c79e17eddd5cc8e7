import type { Duration } from "../types/duration.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;

/** Parses a {@link Duration} to milliseconds; throws a TypeError on a malformed string. */
export function toMs(duration: Duration): number {
  if (typeof duration === "number") {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new TypeError(`invalid duration ${duration}`);
    }
    return duration;
  }
  const text = duration.trim();
  PART.lastIndex = 0;
  let total = 0;
  let matched = 0;
  for (let m = PART.exec(text); m !== null; m = PART.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? "ms"] ?? 1);
    matched = PART.lastIndex;
  }
  if (matched !== text.length || matched === 0) {
    throw new TypeError(`invalid duration "${duration}" (use e.g. "500ms", "30s", "5m", "1h")`);
  }
  return total;
}
