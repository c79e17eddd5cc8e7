import type { EventOf, TipiEvent } from "@tipi/core";

/** One bar fed by `progress` events. */
export interface BarState {
  readonly id: string;
  label: string;
  current: number;
  total: number | undefined;
  parent: string | undefined;
  unit: string | undefined;
  status: string | undefined;
  readonly startedAt: number;
  /** Where `current` was when the bar opened (resumed bars do not start at 0). */
  readonly startCurrent: number;
  /** The step that was running when the bar opened. */
  readonly step: string | undefined;
}

/**
 * What the progress renderers draw, folded from the event stream: the overall bar over the
 * steps, the cleanup bar over the permanences, and the open progress bars (Epoch, Batch…).
 */
export class ProgressModel {
  pipeline = "";
  runId = "";
  steps: readonly string[] = [];
  readonly finished = new Map<string, { durationMs: number; skipped: boolean }>();
  running: string | undefined;
  runStartedAt = 0;
  cleanupTotal = 0;
  readonly cleanedUp = new Set<string>();
  /** Permanences whose cleanup failed (they count as cleaned up: it ran, and ended). */
  readonly cleanupFailed = new Set<string>();
  cleanupStarted = false;
  readonly bars = new Map<string, BarState>();
  lastMetrics: Readonly<Record<string, number>> = {};
  ended: EventOf<"run:end"> | undefined;

  constructor(
    /** Number of permanences (the cleanup bar's total), when known before the run. */
    permanences = 0,
    readonly now: () => number = Date.now,
  ) {
    this.cleanupTotal = permanences;
  }

  apply(event: TipiEvent): void {
    switch (event.type) {
      case "run:start":
        this.pipeline = event.pipeline;
        this.runId = event.runId;
        this.steps = event.steps;
        this.runStartedAt = this.now();
        break;
      // Steps of a sub-pipeline (`train/fit`) count toward their top-level step only.
      case "step:start":
        if (this.#isTopLevel(event.step)) this.running = event.step;
        break;
      case "step:end":
        if (!this.#isTopLevel(event.step)) break;
        this.finished.set(event.step, {
          durationMs: event.durationMs,
          skipped: event.skipped === true,
        });
        if (this.running === event.step) this.running = undefined;
        for (const [id, bar] of this.bars) if (bar.step === event.step) this.bars.delete(id);
        break;
      case "permanence":
        if (event.phase === "cleanup") {
          this.cleanupStarted = true;
          if (event.status !== "start") this.cleanedUp.add(event.name);
          if (event.status === "error") this.cleanupFailed.add(event.name);
          this.cleanupTotal = Math.max(this.cleanupTotal, this.cleanedUp.size);
        }
        break;
      case "progress":
        this.#progress(event);
        break;
      case "metric":
        this.lastMetrics = { ...this.lastMetrics, ...event.values };
        break;
      case "run:end":
        this.ended = event;
        this.running = undefined;
        break;
      default:
        break;
    }
  }

  #isTopLevel(step: string): boolean {
    return this.steps.length === 0 || this.steps.includes(step);
  }

  #progress(event: EventOf<"progress">): void {
    if (event.done) {
      this.bars.delete(event.id);
      return;
    }
    const bar = this.bars.get(event.id);
    if (bar === undefined) {
      this.bars.set(event.id, {
        id: event.id,
        label: event.label,
        current: event.current,
        total: event.total,
        parent: event.parent,
        unit: event.unit,
        status: event.status,
        startedAt: this.now(),
        startCurrent: event.current,
        step: this.running,
      });
      return;
    }
    bar.label = event.label;
    bar.current = event.current;
    bar.total = event.total ?? bar.total;
    bar.unit = event.unit ?? bar.unit;
    bar.status = event.status ?? bar.status;
  }

  /** Items per second since the bar opened, once it has moved. */
  rate(bar: BarState): number | undefined {
    const seconds = (this.now() - bar.startedAt) / 1000;
    const done = bar.current - bar.startCurrent;
    return seconds > 0.2 && done > 0 ? done / seconds : undefined;
  }

  /** Milliseconds left, from the rate. */
  eta(bar: BarState): number | undefined {
    const rate = this.rate(bar);
    if (rate === undefined || bar.total === undefined) return undefined;
    return (Math.max(0, bar.total - bar.current) / rate) * 1000;
  }

  /** Open bars in display order: parents before their children, with their depth. */
  orderedBars(): { bar: BarState; depth: number }[] {
    const out: { bar: BarState; depth: number }[] = [];
    const visit = (parent: string | undefined, depth: number) => {
      for (const bar of this.bars.values()) {
        const effectiveParent =
          bar.parent !== undefined && this.bars.has(bar.parent) ? bar.parent : undefined;
        if (effectiveParent === parent) {
          out.push({ bar, depth });
          visit(bar.id, depth + 1);
        }
      }
    };
    visit(undefined, 0);
    return out;
  }

  get stepsDone(): number {
    return this.finished.size;
  }

  /** Estimated milliseconds left for the whole run, from the mean step duration so far. */
  overallEta(): number | undefined {
    if (this.stepsDone === 0 || this.steps.length === 0) return undefined;
    const elapsed = this.now() - this.runStartedAt;
    return (elapsed / this.stepsDone) * (this.steps.length - this.stepsDone);
  }
}
