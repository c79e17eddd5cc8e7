import type { TipiEvent } from "@tipi/core";
import { formatClock, formatDuration, formatMetricsLine, formatRate } from "./format.ts";
import { ProgressModel } from "./progress-model.ts";
import type { RunRenderer, TextSink } from "./renderer.ts";

/**
 * Sparse plain lines for pipes, log files and CI: one line per step, and one per 10% of a
 * progress bar, however often the run reports progress.
 */
export class PlainRenderer implements RunRenderer {
  readonly #model: ProgressModel;
  readonly #printedDecile = new Map<string, number>();

  constructor(
    readonly out: TextSink,
    permanences = 0,
  ) {
    this.#model = new ProgressModel(permanences);
  }

  onEvent(event: TipiEvent): void {
    const model = this.#model;
    model.apply(event);
    switch (event.type) {
      case "run:start":
        this.out.write(
          `▶ ${event.pipeline} (run ${event.runId}): ${event.steps.length} step${event.steps.length === 1 ? "" : "s"}\n`,
        );
        break;
      case "step:end": {
        const mark = event.skipped ? "↷" : "✔";
        const note = event.skipped ? "skipped" : formatDuration(event.durationMs);
        this.out.write(`${mark} [${event.index + 1}/${event.total}] ${event.step} (${note})\n`);
        break;
      }
      case "step:error":
        this.out.write(`✖ ${event.step}: ${event.error.message}\n`);
        break;
      case "step:retry":
        this.out.write(
          `↻ ${event.step}: retry ${event.attempt} in ${formatDuration(event.delayMs)}\n`,
        );
        break;
      case "hook:error":
        this.out.write(
          `⚠ ${event.step}: hook ${event.hook} failed${event.fatal ? " (fatal)" : ""}\n`,
        );
        break;
      case "progress":
        this.#progressLine(event);
        break;
      case "log":
        this.out.write(`${event.level === "info" ? "" : `${event.level}: `}${event.message}\n`);
        break;
      case "permanence":
        if (event.status === "error")
          this.out.write(`✖ ${event.phase} of ${event.name} failed: ${causeText(event.cause)}\n`);
        break;
      case "run:end":
        // A failed cleanup was printed as it happened (✖ cleanup of …): no ✔ after it.
        if (model.cleanedUp.size > 0 && model.cleanupFailed.size === 0)
          this.out.write(`✔ cleanup (${model.cleanedUp.size})\n`);
        break;
      default:
        break;
    }
  }

  #progressLine(event: Extract<TipiEvent, { type: "progress" }>): void {
    if (event.total === undefined || event.total <= 0) return;
    const decile = event.done ? 10 : Math.floor((event.current / event.total) * 10);
    const printed = this.#printedDecile.get(event.id) ?? 0;
    if (event.done) this.#printedDecile.delete(event.id);
    if (decile <= printed) return;
    if (!event.done) this.#printedDecile.set(event.id, decile);
    const bar = this.#model.bars.get(event.id);
    const extras = [
      bar && this.#model.rate(bar) !== undefined
        ? formatRate(this.#model.rate(bar)!, bar.unit)
        : undefined,
      bar && this.#model.eta(bar) !== undefined
        ? `ETA ${formatClock(this.#model.eta(bar)!)}`
        : undefined,
      event.status,
    ].filter(Boolean);
    const percent = Math.round((Math.min(event.current, event.total) / event.total) * 100);
    this.out.write(
      `  ${event.label} ${event.current}/${event.total} (${percent}%)${extras.length ? ` · ${extras.join(" · ")}` : ""}\n`,
    );
  }

  async stop(): Promise<void> {
    const metrics = formatMetricsLine(this.#model.lastMetrics);
    if (metrics !== undefined) this.out.write(`  ${metrics}\n`);
  }
}

export function causeText(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (typeof cause === "object" && cause !== null && "message" in cause)
    return String((cause as { message: unknown }).message);
  return String(cause);
}
