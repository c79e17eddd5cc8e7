import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { err, ok, type Result } from "neverthrow";
import { redactString } from "../store/redact.ts";
import type { ChildMessage, ParentMessage, SdkInitOptions } from "./sdk-protocol.ts";

/** What the parent learns about one file_stream request of the SDK. */
export type SdkReport = Extract<ChildMessage, { type: "history" | "complete" }>;

export interface SdkProcessOptions {
  readonly apiKey: string;
  /** Called for every file_stream request the SDK made, with its HTTP status. */
  readonly onReport: (report: SdkReport) => void;
  /** Receives the child's output, already redacted (the SDK logs its errors to the console). */
  readonly onOutput?: (text: string) => void;
}

/** The W&B run the SDK created. */
export interface SdkRun {
  readonly entity: string;
  readonly project: string;
}

const MAX_BATCH = 256;

const WORKER = fileURLToPath(new URL("./sdk-worker.mjs", import.meta.url));

/**
 * `@wandb/sdk` in a child process with hard timeouts: {@link init} and {@link finish} resolve
 * within their limits whatever the SDK does, and a child that overruns is SIGKILLed.
 */
export class SdkProcess {
  readonly #child: ChildProcess;
  readonly #options: SdkProcessOptions;
  readonly #waiters = new Set<(message: ChildMessage | { type: "exit" }) => void>();
  #exited = false;
  #batch: { index: number; values: Record<string, unknown> }[] = [];
  #flushSoon: NodeJS.Immediate | undefined;

  private constructor(child: ChildProcess, options: SdkProcessOptions) {
    this.#child = child;
    this.#options = options;
    child.on("message", (raw) => {
      const message = raw as ChildMessage;
      if (message.type === "history" || message.type === "complete") options.onReport(message);
      for (const waiter of this.#waiters) waiter(message);
    });
    child.once("exit", () => {
      this.#exited = true;
      for (const waiter of this.#waiters) waiter({ type: "exit" });
    });
    child.on("error", () => {});
    const forward = (chunk: Buffer) =>
      options.onOutput?.(redactString(chunk.toString("utf8"), { secrets: [options.apiKey] }));
    child.stdout?.on("data", forward);
    child.stderr?.on("data", forward);
  }

  /** Spawns the worker (it loads the SDK on `init`). */
  static spawn(options: SdkProcessOptions): SdkProcess {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WANDB_API_KEY: options.apiKey,
      WANDB_MODE: "online",
    };
    delete env.WANDB_WORKER; // crashes the SDK (FACTS.md)
    const child = fork(WORKER, [], {
      env,
      execArgv: [],
      stdio: [
        "ignore",
        options.onOutput ? "pipe" : "ignore",
        options.onOutput ? "pipe" : "ignore",
        "ipc",
      ],
      serialization: "json",
    });
    // Never keep the training process alive: a run that ends without finish() still exits,
    // and the child exits when its IPC channel closes.
    child.unref();
    child.channel?.unref();
    for (const stream of [child.stdout, child.stderr])
      (stream as { unref?: () => void } | null)?.unref?.();
    return new SdkProcess(child, options);
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** Starts the W&B run; resolves within `timeoutMs` with the run, or why there is none. */
  async init(options: SdkInitOptions, timeoutMs: number): Promise<Result<SdkRun, string>> {
    // Initialising in the background must not keep a script alive that never calls finish().
    const reply = this.#next(
      (m) => m.type === "init:ok" || m.type === "init:error",
      timeoutMs,
      false,
    );
    this.#send({ type: "init", options });
    const message = await reply;
    if (message?.type === "init:ok")
      return ok({ entity: message.entity, project: message.project });
    return err(this.#reason(message, "init", timeoutMs));
  }

  /** Hands one history row to the SDK (fire and forget; delivery is reported via `onReport`). */
  log(index: number, values: Record<string, unknown>): void {
    this.#batch.push({ index, values });
    if (this.#batch.length >= MAX_BATCH) this.#flush();
    else this.#flushSoon ??= setImmediate(() => this.#flush()).unref();
  }

  /** Rows go over IPC in batches: one message per event-loop turn (or per MAX_BATCH rows). */
  #flush(): void {
    if (this.#flushSoon !== undefined) clearImmediate(this.#flushSoon);
    this.#flushSoon = undefined;
    if (this.#batch.length === 0) return;
    const rows = this.#batch;
    this.#batch = [];
    this.#send({ type: "log", rows });
  }

  /**
   * Finishes the W&B run; the child is gone when this resolves (killed if it overran), with why
   * the SDK did not finish cleanly as the error.
   */
  async finish(exitCode: number, timeoutMs: number): Promise<Result<void, string>> {
    const reply = this.#next((m) => m.type === "finish:ok" || m.type === "finish:error", timeoutMs);
    this.#flush();
    this.#send({ type: "finish", exitCode });
    const message = await reply;
    if (message?.type === "finish:ok") {
      await this.#waitForExit(1000);
      return ok();
    }
    this.kill();
    return err(this.#reason(message, "finish", timeoutMs));
  }

  /** SIGKILLs the child (no-op once it exited). */
  kill(): void {
    if (!this.#exited) this.#child.kill("SIGKILL");
  }

  #send(message: ParentMessage): void {
    if (this.#exited || !this.#child.connected) return;
    try {
      this.#child.send(message);
    } catch {
      // The child died between the check and the send: its exit is handled elsewhere.
    }
  }

  #next(
    accept: (message: ChildMessage) => boolean,
    timeoutMs: number,
    keepAlive = true,
  ): Promise<ChildMessage | { type: "exit" } | undefined> {
    if (this.#exited) return Promise.resolve({ type: "exit" });
    return new Promise((resolve) => {
      const done = (value: ChildMessage | { type: "exit" } | undefined) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(value);
      };
      const waiter = (message: ChildMessage | { type: "exit" }) => {
        if (message.type === "exit" || accept(message)) done(message);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      if (!keepAlive) timer.unref();
      this.#waiters.add(waiter);
    });
  }

  async #waitForExit(timeoutMs: number): Promise<void> {
    if (this.#exited) return;
    await this.#next(() => false, timeoutMs);
    this.kill();
  }

  #reason(
    message: ChildMessage | { type: "exit" } | undefined,
    phase: string,
    timeoutMs: number,
  ): string {
    if (message === undefined) {
      this.kill();
      return `W&B ${phase} timed out after ${timeoutMs} ms (SDK process killed)`;
    }
    if (message.type === "exit") return `W&B SDK process exited during ${phase}`;
    const text = "message" in message ? message.message : phase;
    return redactString(`W&B ${phase} failed: ${text}`, { secrets: [this.#options.apiKey] });
  }
}
