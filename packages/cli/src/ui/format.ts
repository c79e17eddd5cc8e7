/** `1:02:03`, `02:03`. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mmss = `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

/** `850ms`, `12.3s`, `4m 05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m ${String(s).padStart(2, "0")}s`;
}

/** A bar of `width` cells; an unknown total draws an empty bar. */
export function bar(current: number, total: number | undefined, width: number): string {
  if (total === undefined || total <= 0) return "░".repeat(width);
  const filled = Math.max(0, Math.min(width, Math.round((current / total) * width)));
  return "█".repeat(filled) + "░".repeat(width - filled);
}

/** `420 it/s`, `3.2 samples/s`, `0.15 it/s`. */
export function formatRate(perSecond: number, unit = "it"): string {
  const digits = perSecond >= 100 ? 0 : perSecond >= 10 ? 1 : 2;
  return `${perSecond.toFixed(digits)} ${unit}/s`;
}

/** Compact metric value: `0.8123`, `1.2e-5`, `1234`. */
export function formatMetric(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2);
  return value.toPrecision(4).replace(/\.?0+$/, "");
}

/** The last value of up to `max` metrics as one line (`k=v k=v`), or undefined when none. */
export function formatMetricsLine(
  metrics: Readonly<Record<string, number>>,
  max = 8,
): string | undefined {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return undefined;
  return entries
    .slice(0, max)
    .map(([k, v]) => `${k}=${formatMetric(v)}`)
    .join(" ");
}
