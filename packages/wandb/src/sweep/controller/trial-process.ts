/** One trial as a child process, and the files it leaves in its run directory. */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, createWriteStream, openSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parentWatchEnv } from "../../process/parent-watch-module.ts";
import { SecretScrubber } from "../../store/redact.ts";
import type { TrialParams } from "../search/params.ts";

/** What a trial command is built from. */
export interface TrialCommandInput {
  readonly trialId: string;
  readonly index: number;
  readonly pipeline: string;
  readonly params: TrialParams;
  /** `["--set", "a.b=1", …]`, one pair per parameter. */
  readonly setFlags: readonly string[];
  /** The trial's run directory (`<sweepDir>/trials/<trialId>`). */
  readonly runDir: string;
  readonly sweepDir: string;
}

export interface TrialCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /**
   * The command redacts its own output (`tipi run` does): it writes its log file itself instead
   * of through pipes to the controller, so that it ends cleanly when the controller is killed.
   */
  readonly direct?: boolean;
}

/** Builds the command that runs one trial; inject one to run something other than `tipi run`. */
export type TrialCommandFactory = (trial: TrialCommandInput) => TrialCommand;

/** `tipi run <pipeline> --set k=v … --run-dir <dir> --no-progress` (`TIPI_BIN` overrides `tipi`). */
export const defaultTrialCommand: TrialCommandFactory = (trial) => ({
  command: process.env.TIPI_BIN ?? "tipi",
  args: ["run", trial.pipeline, ...trial.setFlags, "--run-dir", trial.runDir, "--no-progress"],
  direct: true,
});

export interface TrialExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not start at all. */
  readonly spawnError?: string;
  /** The last lines it wrote to stderr. */
  readonly stderrTail: string;
}

export interface RunningTrial {
  readonly child: ChildProcess;
  readonly exited: Promise<TrialExit>;
}

/**
 * Starts a trial; its stdout and stderr go to `logFile`, secrets scrubbed (see `redactSecrets`).
 * With `direct` (by default the command's own), the child writes the file itself instead of through pipes to this process, so it
 * ends cleanly even when this process is killed (no broken pipe); only for commands that redact
 * their own output (`tipi run` does). The stderr tail is then the end of the log.
 */
export function startTrial(
  cmd: TrialCommand,
  input: TrialCommandInput,
  logFile: string,
  options: { readonly direct?: boolean } = { direct: cmd.direct ?? false },
): RunningTrial {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TIPI_SWEEP_DIR: input.sweepDir,
    TIPI_TRIAL_ID: input.trialId,
    TIPI_TRIAL_PARAMS: JSON.stringify(input.params),
    TIPI_RUN_DIR: input.runDir,
    ...cmd.env,
  };
  // The trial ends itself if this process is killed and cannot stop it (SIGKILL, a crash).
  Object.assign(env, parentWatchEnv(env.NODE_OPTIONS));
  if (options.direct) return startDirect(cmd, env, logFile);
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(cmd.command, [...cmd.args], {
    cwd: cmd.cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderrTail = "";
  // Whatever the trial command prints: a command that is not tipi may echo a key.
  const scrubbers = { stdout: new SecretScrubber(), stderr: new SecretScrubber() };
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    log.write(scrubbers.stdout.push(chunk));
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    const text = scrubbers.stderr.push(chunk);
    log.write(text);
    stderrTail = (stderrTail + text).slice(-2000);
  });
  const closeLog = () => {
    const rest = scrubbers.stdout.end() + scrubbers.stderr.end();
    if (rest !== "") log.write(rest);
    return new Promise<string>((resolve) => log.end(() => resolve(stderrTail)));
  };
  return { child, exited: exitOf(child, closeLog) };
}

function startDirect(cmd: TrialCommand, env: NodeJS.ProcessEnv, logFile: string): RunningTrial {
  const fd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(cmd.command, [...cmd.args], { cwd: cmd.cwd, env, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  const logTail = () =>
    readFile(logFile, "utf8").then(
      (text) => text.slice(-2000),
      () => "",
    );
  return { child, exited: exitOf(child, logTail) };
}

/**
 * How `child` ended: once it closed, or at once when it could not start (no `close` follows
 * then); `stderrTail` finishes its log first and gives the tail to report.
 */
function exitOf(child: ChildProcess, stderrTail: () => Promise<string>): Promise<TrialExit> {
  return new Promise((resolve) => {
    let spawnError: string | undefined;
    child.once("error", (error) => {
      spawnError = error.message;
      if (child.pid === undefined)
        void stderrTail().then((tail) =>
          resolve({ code: null, signal: null, spawnError: error.message, stderrTail: tail }),
        );
    });
    child.once("close", (code, signal) => {
      void stderrTail().then((tail) =>
        resolve({
          code,
          signal,
          stderrTail: tail,
          ...(spawnError === undefined ? {} : { spawnError }),
        }),
      );
    });
  });
}

/** Reads a run directory's `history.jsonl` as it grows, keeping one metric's values. */
export class HistoryReader {
  #offset = 0;
  #partial = "";
  readonly values: number[] = [];

  constructor(
    readonly file: string,
    readonly metric: string | undefined,
  ) {}

  /** Reads what was appended since the last call; returns how many metric values were new. */
  async poll(): Promise<number> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.file, "r");
    } catch {
      return 0;
    }
    try {
      const { size } = await handle.stat();
      if (size <= this.#offset) return 0;
      const buffer = Buffer.alloc(size - this.#offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.#offset);
      this.#offset += bytesRead;
      const lines = (this.#partial + buffer.subarray(0, bytesRead).toString("utf8")).split("\n");
      this.#partial = lines.pop() ?? "";
      const before = this.values.length;
      for (const line of lines) this.#take(line);
      return this.values.length - before;
    } finally {
      await handle.close();
    }
  }

  #take(line: string): void {
    if (!this.metric || line.trim() === "") return;
    try {
      const row = JSON.parse(line) as { values?: Record<string, unknown> } & Record<
        string,
        unknown
      >;
      const value = metricOf(row, this.metric);
      if (value !== undefined) this.values.push(value);
    } catch {
      // A torn last line of a killed trial: not a metric.
    }
  }
}

/** `row.values[name]`, else `row[name]`, when it is a finite number. */
function metricOf(row: Record<string, unknown>, name: string): number | undefined {
  const values = row.values;
  const candidate =
    typeof values === "object" && values !== null && name in values
      ? (values as Record<string, unknown>)[name]
      : row[name];
  return typeof candidate === "number" && Number.isFinite(candidate) ? candidate : undefined;
}

/** The metric from a run directory's `summary.json` (`{ name: v }` or `{ values: { name: v } }`). */
export async function readSummaryMetric(
  runDir: string,
  metric: string,
): Promise<number | undefined> {
  try {
    const summary = JSON.parse(await readFile(join(runDir, "summary.json"), "utf8")) as Record<
      string,
      unknown
    >;
    return metricOf(summary, metric);
  } catch {
    return undefined;
  }
}
