type DurationUnit = "ms" | "s" | "m" | "h";
type DurationPart = `${number}${DurationUnit}`;

/**
 * A duration: milliseconds as a number, or up to three `<number><unit>` parts with units
 * `ms`, `s`, `m`, `h`: `"250ms"`, `"30s"`, `"5m"`, `"1h"`, `"1m30s"`. Negative or non-finite
 * values are refused (at compile time for literals, by the builder otherwise).
 */
export type Duration =
  | number
  | DurationPart
  | `${DurationPart}${DurationPart}`
  | `${DurationPart}${DurationPart}${DurationPart}`;
