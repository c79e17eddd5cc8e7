/**
 * The standalone progress display: every open bar on one line, outermost first.
 * In a TTY it is an ora spinner re-rendered at most every 80 ms (rendered from the loop
 * itself, because a synchronous training loop starves ora's timer). Without a TTY it writes
 * sparse plain lines: one per tenth of the outermost bar, one every few seconds otherwise.
 */
import ora, { type Ora } from "ora";
import { type BarSnapshot, formatBar } from "./format.ts";

/** One open bar of the standalone display. */
export interface TerminalBar {
  update(current: number): void;
  close(): void;
}

interface OpenBar {
  label: string;
  total?: number;
  unit?: string;
  current: number;
  readonly started: number;
}

const RENDER_EVERY_MS = 80;
const PLAIN_LINE_EVERY_MS = 5_000;

function isInteractive(stream: NodeJS.WriteStream): boolean {
  const ci = process.env.CI;
  return (
    stream.isTTY === true &&
    (ci === undefined || ci === "" || ci === "false") &&
    process.env.TERM !== "dumb"
  );
}

function snapshot(bar: OpenBar, now: number): BarSnapshot {
  return {
    label: bar.label,
    current: bar.current,
    elapsedMs: now - bar.started,
    ...(bar.total !== undefined ? { total: bar.total } : {}),
    ...(bar.unit !== undefined ? { unit: bar.unit } : {}),
  };
}

class TerminalProgress {
  readonly #stream = process.stderr;
  readonly #interactive = isInteractive(process.stderr);
  readonly #bars: OpenBar[] = [];
  #spinner: Ora | undefined;
  #lastRender = 0;
  #lastPlainLine = 0;
  #lastDecile = -1;

  open(label: string, total: number | undefined, unit: string | undefined): TerminalBar {
    const bar: OpenBar = { label, current: 0, started: performance.now() };
    if (total !== undefined) bar.total = total;
    if (unit !== undefined) bar.unit = unit;
    this.#bars.push(bar);
    if (this.#bars.length === 1) this.#lastDecile = -1;
    this.#refresh(this.#bars.length === 1 ? "top-level-opened" : "forced");
    return {
      update: (current) => {
        bar.current = current;
        this.#refresh("update");
      },
      close: () => this.#close(bar),
    };
  }

  #line(now: number): string {
    const width = this.#bars.length > 1 ? 10 : 20;
    return this.#bars.map((b) => formatBar(snapshot(b, now), width)).join("  │  ");
  }

  #refresh(why: "update" | "forced" | "top-level-opened"): void {
    const now = performance.now();
    if (this.#interactive) {
      if (why === "update" && now - this.#lastRender < RENDER_EVERY_MS) return;
      this.#lastRender = now;
      this.#spinner ??= ora({ stream: this.#stream, discardStdin: false, isEnabled: true }).start();
      this.#spinner.text = this.#line(now);
      this.#spinner.render();
      return;
    }
    const outer = this.#bars[0];
    if (outer === undefined) return;
    const decile =
      outer.total !== undefined && outer.total > 0
        ? Math.floor((outer.current / outer.total) * 10)
        : -1;
    const newDecile = decile !== this.#lastDecile && decile >= 0;
    if (
      newDecile ||
      why === "top-level-opened" ||
      now - this.#lastPlainLine >= PLAIN_LINE_EVERY_MS
    ) {
      this.#lastDecile = decile;
      this.#lastPlainLine = now;
      this.#stream.write(`${this.#line(now)}\n`);
    }
  }

  #close(bar: OpenBar): void {
    const index = this.#bars.indexOf(bar);
    if (index === -1) return;
    const now = performance.now();
    const text = formatBar(snapshot(bar, now));
    this.#bars.splice(index);
    if (this.#bars.length > 0) {
      this.#refresh("forced");
      return;
    }
    if (this.#spinner !== undefined) {
      this.#spinner.stopAndPersist({ symbol: "✔", text });
      this.#spinner = undefined;
    } else if (!this.#interactive) {
      if (this.#lastDecile !== 10) this.#stream.write(`${text}\n`);
    }
  }
}

let display: TerminalProgress | undefined;

/** The process-wide standalone display (created on first use). */
export function terminalProgress(): TerminalProgress {
  display ??= new TerminalProgress();
  return display;
}
