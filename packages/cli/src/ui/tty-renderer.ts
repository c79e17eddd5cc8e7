import type { TipiEvent } from "@tipi/core";
import {
  type DefaultRenderer,
  Listr,
  ListrLogger,
  type ListrTaskWrapper,
  PRESET_TIMER,
  ProcessOutput,
  type SimpleRenderer,
} from "listr2";
import { bar, formatClock, formatMetricsLine, formatRate } from "./format.ts";
import { LiveOutput } from "./live-output.ts";
import { type BarState, ProgressModel } from "./progress-model.ts";
import type { RunRenderer } from "./renderer.ts";

type Task = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

interface Deferred {
  readonly promise: Promise<"done" | "skipped">;
  resolve(value: "done" | "skipped"): void;
  reject(error: Error): void;
  settled: boolean;
}

function deferred(): Deferred {
  let resolve!: (value: "done" | "skipped") => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<"done" | "skipped">((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  const d: Deferred = {
    promise,
    settled: false,
    resolve: (v) => {
      d.settled = true;
      resolve(v);
    },
    reject: (e) => {
      d.settled = true;
      reject(e);
    },
  };
  return d;
}

const BAR_WIDTH = 28;
const LABEL_WIDTH = 10;

/**
 * The terminal UI: a listr2 task list of the pipeline's steps (spinner, ✔/✖, duration) with
 * the open progress bars (Epoch, Batch…, nested by `parent`, with throughput and ETA) under
 * the running step, an Overall bar over the steps and a Cleanup bar. Redrawn at most
 * `1000 / intervalMs` times a second however fast progress events arrive; text the steps
 * print appears above the bars.
 */
export class TtyRenderer implements RunRenderer {
  readonly #model: ProgressModel;
  readonly #live: LiveOutput;
  readonly #steps = new Map<string, { done: Deferred; task?: Task; lastOutput?: string }>();
  readonly #overallDone = deferred();
  readonly #cleanupDone = deferred();
  #overall: Task | undefined;
  #cleanup: Task | undefined;
  #listr: Promise<unknown> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastTitles = { overall: "", cleanup: "" };

  constructor(
    permanences: number,
    readonly options: { intervalMs?: number; stdout?: NodeJS.WriteStream } = {},
  ) {
    this.#model = new ProgressModel(permanences);
    this.#live = new LiveOutput(options.stdout ?? process.stdout, process.stderr);
  }

  onEvent(event: TipiEvent): void {
    this.#model.apply(event);
    switch (event.type) {
      case "run:start":
        this.#start();
        break;
      case "step:end": {
        const step = this.#steps.get(event.step);
        if (step && !step.done.settled) step.done.resolve(event.skipped ? "skipped" : "done");
        if (this.#model.stepsDone >= this.#model.steps.length) this.#finishOverall();
        break;
      }
      case "step:error": {
        const step = this.#steps.get(event.step);
        if (step && !step.done.settled) step.done.reject(new Error(event.error.message));
        break;
      }
      case "permanence":
        if (event.phase === "cleanup") this.#finishOverall();
        break;
      case "log":
        // Written like a step's own output: above the bars once they are drawn.
        (this.options.stdout ?? process.stdout).write(
          `${event.level === "info" ? "" : `${event.level}: `}${event.message}\n`,
        );
        break;
      case "run:end":
        this.#finishOverall(event.ok ? undefined : (event.error?.message ?? "failed"));
        this.#endCleanup();
        break;
      default:
        break;
    }
  }

  #start(): void {
    for (const name of this.#model.steps) this.#steps.set(name, { done: deferred() });
    const logger = new ListrLogger({
      processOutput: new ProcessOutput(this.#live.frameStream(), this.#live.frameStream()),
    });
    const listr = new Listr(
      [
        {
          title: this.#overallTitle(),
          task: (_ctx, task) => {
            this.#overall = task as Task;
            return task.newListr(
              [...this.#steps].map(([name, step]) => ({
                title: name,
                task: async (_c: unknown, stepTask: Task) => {
                  step.task = stepTask;
                  const outcome = await step.done.promise;
                  if (outcome === "skipped") stepTask.skip(`${name} (skipped)`);
                },
              })),
              { concurrent: false, exitOnError: true },
            );
          },
        },
        {
          title: this.#cleanupTitle(),
          task: async (_ctx, task) => {
            this.#cleanup = task as Task;
            this.#flush();
            await this.#cleanupDone.promise;
            this.#flush();
          },
        },
      ],
      {
        concurrent: false,
        exitOnError: false,
        registerSignalListeners: false,
        renderer: "default",
        rendererOptions: {
          lazy: true,
          logger,
          collapseSubtasks: false,
          collapseErrors: false,
          timer: PRESET_TIMER,
        },
        fallbackRenderer: "simple",
      },
    );
    this.#live.capture();
    this.#listr = listr.run().catch(() => undefined);
    this.#timer = setInterval(() => this.#flush(), this.options.intervalMs ?? 125);
    this.#timer.unref();
  }

  #finishOverall(error?: string): void {
    if (this.#overallDone.settled) return;
    this.#overallDone.resolve("done");
    for (const step of this.#steps.values()) {
      if (step.done.settled) continue;
      if (error !== undefined && step.task) step.done.reject(new Error(error));
      else step.done.resolve("skipped");
    }
    this.#flush();
  }

  /** One redraw's worth of changes (titles and bar output), applied only when they differ. */
  #flush(): void {
    const overall = this.#overallTitle();
    if (this.#overall && overall !== this.#lastTitles.overall) {
      this.#lastTitles.overall = overall;
      this.#overall.title = overall;
    }
    const cleanup = this.#cleanupTitle();
    if (this.#cleanup && cleanup !== this.#lastTitles.cleanup) {
      this.#lastTitles.cleanup = cleanup;
      this.#cleanup.title = cleanup;
    }
    const running = this.#model.running;
    const step = running === undefined ? undefined : this.#steps.get(running);
    // A step that failed (Ctrl-C, an error) has no output buffer left in listr2: setting its
    // output then throws, and the bars' ETA keeps changing while cleanup runs.
    if (step?.task && !step.done.settled) {
      const output = this.#barLines();
      if (output !== (step.lastOutput ?? "") && output !== "") {
        step.lastOutput = output;
        step.task.output = output;
      }
    }
  }

  #overallTitle(): string {
    const m = this.#model;
    const total = m.steps.length;
    const eta = m.overallEta();
    const elapsed = m.runStartedAt > 0 ? m.now() - m.runStartedAt : 0;
    return [
      `${"Overall".padEnd(LABEL_WIDTH)} ${bar(m.stepsDone, total, BAR_WIDTH)} (${m.stepsDone}/${total})`,
      formatClock(elapsed),
      eta !== undefined && m.stepsDone < total ? `ETA ${formatClock(eta)}` : undefined,
    ]
      .filter(Boolean)
      .join(" • ");
  }

  #cleanupTitle(): string {
    const m = this.#model;
    return `${"Cleanup".padEnd(LABEL_WIDTH)} ${bar(m.cleanedUp.size, m.cleanupTotal, BAR_WIDTH)} (${m.cleanedUp.size}/${m.cleanupTotal})`;
  }

  #barLines(): string {
    return this.#model
      .orderedBars()
      .map(({ bar: b, depth }) => `${"  ".repeat(depth)}${this.#barLine(b, depth)}`)
      .join("\n");
  }

  #barLine(b: BarState, depth: number): string {
    const m = this.#model;
    const rate = m.rate(b);
    const eta = m.eta(b);
    const count = b.total === undefined ? `${b.current}` : `${b.current}/${b.total}`;
    return [
      `${b.label.padEnd(Math.max(1, LABEL_WIDTH - depth * 2))} ${bar(b.current, b.total, BAR_WIDTH)} (${count})`,
      rate === undefined ? undefined : formatRate(rate, b.unit),
      eta === undefined ? undefined : `ETA ${formatClock(eta)}`,
      b.status === undefined ? undefined : `Status: ${b.status}`,
    ]
      .filter(Boolean)
      .join(" • ");
  }

  /** The Cleanup line ends ✔, or ✖ naming the permanences whose cleanup failed. */
  #endCleanup(): void {
    if (this.#cleanupDone.settled) return;
    const failed = [...this.#model.cleanupFailed];
    if (failed.length === 0) this.#cleanupDone.resolve("done");
    else this.#cleanupDone.reject(new Error(`cleanup of ${failed.join(", ")} failed`));
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#finishOverall();
    this.#endCleanup();
    this.#flush();
    await this.#listr;
    this.#live.forgetFrame();
    this.#live.release();
    const metrics = formatMetricsLine(this.#model.lastMetrics);
    if (metrics !== undefined) (this.options.stdout ?? process.stdout).write(`  ${metrics}\n`);
  }
}
