/** Median wall time of `fn` in ms after `warmup` untimed calls. Synchronous work only. */
export async function medianMs(
  fn: () => void | Promise<void>,
  { warmup = 2, runs = 7 }: { warmup?: number; runs?: number } = {},
): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Prints rows as an aligned table. */
export function printTable(rows: readonly (readonly (string | number)[])[]): void {
  const text = rows.map((row) =>
    row.map((cell) => (typeof cell === "number" ? cell.toFixed(2) : cell)),
  );
  const widths = text[0]!.map((_, i) => Math.max(...text.map((row) => row[i]!.length)));
  for (const row of text) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
}
