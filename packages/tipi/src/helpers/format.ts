/** Text for one progress bar: `label [█████░░░░░] 50% 5/10 2.1 it/s ETA 3s`. */
export interface BarSnapshot {
  readonly label: string;
  readonly current: number;
  readonly total?: number;
  readonly elapsedMs: number;
  readonly unit?: string;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function formatRate(perSecond: number, unit: string): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return `– ${unit}/s`;
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k ${unit}/s`;
  return `${perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toFixed(1)} ${unit}/s`;
}

export function formatBar(bar: BarSnapshot, width = 20): string {
  const unit = bar.unit ?? "it";
  const rate = bar.elapsedMs > 0 ? (bar.current * 1000) / bar.elapsedMs : 0;
  const parts = [bar.label];
  if (bar.total !== undefined && bar.total > 0) {
    const fraction = Math.min(1, bar.current / bar.total);
    const filled = Math.round(fraction * width);
    parts.push(`[${"█".repeat(filled)}${"░".repeat(width - filled)}]`);
    parts.push(`${Math.floor(fraction * 100)}%`, `${bar.current}/${bar.total}`);
    parts.push(formatRate(rate, unit));
    if (bar.current < bar.total && rate > 0) {
      parts.push(`ETA ${formatDuration(((bar.total - bar.current) / rate) * 1000)}`);
    } else if (bar.current >= bar.total) {
      parts.push(`in ${formatDuration(bar.elapsedMs)}`);
    }
  } else {
    parts.push(`${bar.current} ${unit}`, formatRate(rate, unit));
  }
  return parts.join(" ");
}
