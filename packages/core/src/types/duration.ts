/**
 * A duration: milliseconds as a number, or a string such as `"250ms"`, `"30s"`, `"5m"`,
 * `"1h"`, `"1m30s"`.
 */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h"}${string}`;
