/**
 * Plain-text columns: every cell padded to its column's widest, two spaces apart, trailing
 * blanks trimmed. With `rule`, a line of dashes follows the first row (the header).
 */
export function alignColumns(
  rows: readonly (readonly string[])[],
  options: { readonly rule?: boolean } = {},
): string[] {
  const columns = Math.max(0, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(0, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const lines = rows.map(line);
  if (options.rule === true && lines.length > 0)
    lines.splice(1, 0, line(widths.map((w) => "-".repeat(w))));
  return lines;
}
