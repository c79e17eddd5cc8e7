import type { StepContext } from "@tipi/core";
import { currentRun } from "@tipi/core";
import { type TerminalBar, terminalProgress } from "./terminal-progress.ts";

/** Options of {@link progressBar}. */
export interface ProgressBarOptions {
  /** Shown before the bar, e.g. `"Epoch"`. Default `"Progress"`. */
  readonly label?: string;
  /** Number of items; inferred from arrays, sets, maps, typed arrays and numbers. */
  readonly total?: number;
  /** What one item is called in the rate, e.g. `"batch"`. Default `"it"`. */
  readonly unit?: string;
}

/** Where one bar's progress goes: the run's event bus or the terminal. */
interface BarSink {
  update(current: number): void;
  close(current: number): void;
}

/** Bars open in this process, innermost last, so a nested bar knows its parent. */
const openBars: { readonly id: string; readonly runId: string | undefined }[] = [];
let nextId = 0;

const EMIT_EVERY_MS = 100;
const DRAW_EVERY_MS = 80;

/** The first count past the current whole percent (no total: never, time decides). */
function nextPercentAt(current: number, total: number | undefined): number {
  return total === undefined || total <= 0
    ? Number.POSITIVE_INFINITY
    : Math.ceil(((Math.floor((current * 100) / total) + 1) * total) / 100);
}

/** Emits `progress` events on the run's bus: at each percent, or every 100 ms without a total. */
function runSink(ctx: StepContext, id: string, label: string, opts: ProgressBarOptions): BarSink {
  const parent = [...openBars].reverse().find((b) => b.runId === ctx.runId && b.id !== id)?.id;
  const base = {
    type: "progress" as const,
    id,
    label,
    ...(opts.total !== undefined ? { total: opts.total } : {}),
    ...(parent !== undefined ? { parent } : {}),
    ...(opts.unit !== undefined ? { unit: opts.unit } : {}),
  };
  const total = opts.total;
  let nextAt = nextPercentAt(0, total);
  let lastEmit = performance.now();
  ctx.emit({ ...base, current: 0 });
  return {
    update(current) {
      const timeIsUp = total === undefined && performance.now() - lastEmit >= EMIT_EVERY_MS;
      if (current < nextAt && !timeIsUp) return;
      nextAt = nextPercentAt(current, total);
      lastEmit = performance.now();
      ctx.emit({ ...base, current });
    },
    close(current) {
      ctx.emit({ ...base, current, done: true });
    },
  };
}

function terminalSink(label: string, opts: ProgressBarOptions): BarSink {
  if (process.env.TIPI_NO_PROGRESS === "1") return { update() {}, close() {} };
  const bar: TerminalBar = terminalProgress().open(label, opts.total, opts.unit);
  // The display is only told at each percent and every 80 ms: per item this costs a clock read.
  let nextAt = nextPercentAt(0, opts.total);
  let lastDraw = performance.now();
  return {
    update(current) {
      const now = performance.now();
      if (current < nextAt && now - lastDraw < DRAW_EVERY_MS) return;
      nextAt = nextPercentAt(current, opts.total);
      lastDraw = now;
      bar.update(current);
    },
    close: () => bar.close(),
  };
}

function openSink(opts: ProgressBarOptions): { sink: BarSink; id: string } {
  const id = `bar-${++nextId}`;
  const label = opts.label ?? "Progress";
  const ctx = currentRun();
  openBars.push({ id, runId: ctx?.runId });
  const sink = ctx !== undefined ? runSink(ctx, id, label, opts) : terminalSink(label, opts);
  return { sink, id };
}

function closeSink(id: string, sink: BarSink, current: number): void {
  const index = openBars.findIndex((b) => b.id === id);
  if (index !== -1) openBars.splice(index, 1);
  sink.close(current);
}

function inferTotal(source: unknown): number | undefined {
  if (typeof source === "number") return source;
  if (Array.isArray(source) || ArrayBuffer.isView(source))
    return (source as ArrayLike<unknown>).length;
  if (source instanceof Set || source instanceof Map) return source.size;
  return undefined;
}

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

function* trackSync<T>(items: Iterable<T>, opts: ProgressBarOptions): Generator<T> {
  const { sink, id } = openSink(opts);
  let current = 0;
  try {
    for (const item of items) {
      yield item;
      current++;
      sink.update(current);
    }
  } finally {
    closeSink(id, sink, current);
  }
}

async function* trackAsync<T>(
  items: AsyncIterable<T>,
  opts: ProgressBarOptions,
): AsyncGenerator<T> {
  const { sink, id } = openSink(opts);
  let current = 0;
  try {
    for await (const item of items) {
      yield item;
      current++;
      sink.update(current);
    }
  } finally {
    closeSink(id, sink, current);
  }
}

/**
 * Wraps a loop in a progress bar. In a plain script it draws a terminal bar on stderr (sparse
 * lines without a TTY; none with `TIPI_NO_PROGRESS=1`). Inside a pipeline run it emits
 * `progress` events on the run's bus instead, so the run's own display shows it, nested under
 * any enclosing `progressBar`. A number `n` iterates `0 … n-1`.
 *
 * @example
 * for (const epoch of progressBar(5, { label: "Epoch" })) {
 *   for await (const batch of progressBar(loader, { label: "Batch", total: 100 })) train(batch);
 * }
 */
export function progressBar(count: number, opts?: ProgressBarOptions): Iterable<number>;
export function progressBar<T>(items: Iterable<T>, opts?: ProgressBarOptions): Iterable<T>;
export function progressBar<T>(
  items: AsyncIterable<T>,
  opts?: ProgressBarOptions,
): AsyncIterable<T>;
export function progressBar<T>(
  items: number | Iterable<T> | AsyncIterable<T>,
  opts: ProgressBarOptions = {},
): Iterable<T | number> | AsyncIterable<T> {
  const total = opts.total ?? inferTotal(items);
  const options: ProgressBarOptions = total !== undefined ? { ...opts, total } : opts;
  if (typeof items === "number") return trackSync(range(items), options);
  if (Symbol.asyncIterator in items) return trackAsync(items, options);
  return trackSync(items, options);
}
