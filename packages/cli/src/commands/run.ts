import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { installSigintHandler, type PipelineError, type TipiEvent } from "@tipi/core";
import { RunStore, resolveRunDir } from "@tipi/wandb";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import type { ResolvedBackend } from "../config/load-pipeline.ts";
import { runMeta } from "../run/run-meta.ts";
import { StallWatch } from "../run/stall-watch.ts";
import { formatDuration, formatMetricsLine } from "../ui/format.ts";
import { JsonRenderer, toJsonLine } from "../ui/json-renderer.ts";
import { causeText, PlainRenderer } from "../ui/plain-renderer.ts";
import type { RunRenderer, TextSink } from "../ui/renderer.ts";
import { graphText } from "./graph.ts";
import { interactive, loadFromArgs } from "./shared.ts";

/** `tipi run`: load, open a run directory, run with progress, exit 0/1/2/130. */
export async function runCommand(args: ParsedArgs): Promise<number> {
  const json = args.options.json === true;
  const loaded = await loadFromArgs(args, { spinner: !json && args.options.progress !== false });
  const graph = loaded.pipeline.describe();

  if (args.options["dry-run"]) {
    process.stdout.write(graphText(graph, loaded.name));
    if (loaded.config) process.stdout.write(`resolved config:\n${toJsonLine(loaded.config)}\n`);
    process.stdout.write("dry run: nothing ran\n");
    return EXIT.ok;
  }

  const store = openStore(args, loaded.name, loaded.config, {
    pipelineFile: loaded.target.file,
    seed: loaded.seed,
    backend: loaded.backend,
    argv: process.argv.slice(2),
  });

  // With --json, stdout carries only events: whatever else is printed goes to stderr.
  const realStdoutWrite = process.stdout.write.bind(process.stdout);
  const stdout: TextSink = { write: (text) => void realStdoutWrite(text) };
  if (json)
    process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const renderer = await chooseRenderer(args, stdout, graph.permanences.length);

  const controller = new AbortController();
  // SIGTERM (a sweep stopping a trial, a job scheduler) is handled like Ctrl-C: cleanup runs.
  const uninstall = installSigintHandler(controller, {
    signals: ["SIGINT", "SIGTERM"],
    onInterrupt: () =>
      process.stderr.write("\nstopping: checkpoint and cleanup run… (Ctrl-C again to force)\n"),
  });
  // A step awaiting a promise nothing can settle: abort it, so cleanup runs and we say so.
  const stall = new StallWatch(controller, (stalled) => {
    process.stderr.write(`✖ ${stalled.message}; cleanup stalled too, exiting\n`);
    store.setStatus("failed");
    process.exit(EXIT.failed);
  });
  const record = store.listener();
  let error: PipelineError | undefined;
  const started = Date.now();
  try {
    let backendRecorded = false;
    const onEvent = (event: TipiEvent) => {
      stall.onEvent(event);
      record(event);
      renderer?.onEvent(event);
      // Known once the Device is initialised: recorded then, so a run that fails later has it.
      if (!backendRecorded && event.type === "permanence" && event.phase === "initialize") {
        const backend = loaded.resolvedBackend?.();
        if (backend !== undefined) {
          backendRecorded = true;
          store.updateMeta(backendMeta(backend));
        }
      }
    };
    const result = await loaded.pipeline.run(loaded.input, {
      signal: controller.signal,
      onEvent,
      runId: store.runId,
      runDir: store.dir,
      resume: args.options.resume !== undefined,
    });
    if (result.isErr()) error = result.error;
  } finally {
    await renderer?.stop();
    stall.stop();
    uninstall();
    if (json) process.stdout.write = realStdoutWrite as typeof process.stdout.write;
  }
  const backend = loaded.resolvedBackend?.();
  if (backend !== undefined) store.writeSummary({ backend: backend.name });
  const status =
    error === undefined
      ? "finished"
      : stall.error === undefined && isInterrupt(error, controller)
        ? "interrupted"
        : "failed";
  store.setStatus(status);
  store.close();
  const out = json ? process.stderr : process.stdout;
  const where = relativeDir(store.dir);
  if (error === undefined) {
    // The renderers end with the metrics line; with --no-progress it is all the user sees.
    const metrics = renderer === undefined && !json ? finalMetrics(store) : undefined;
    if (metrics !== undefined) out.write(`  ${metrics}\n`);
    out.write(`✔ ${loaded.name} finished in ${formatDuration(Date.now() - started)} · ${where}\n`);
    return EXIT.ok;
  }
  if (status === "interrupted") {
    process.stderr.write(
      `✖ ${loaded.name} interrupted; cleanup done · resume: tipi run ${args.positionals[0]} --resume ${store.runId}\n`,
    );
    return EXIT.interrupted;
  }
  if (stall.error !== undefined) {
    process.stderr.write(
      `✖ ${stall.error.message}\n  cleanup ran; the step was abandoned. Look for an await on something that never resolves (an event that never fires, a callback never called)\n`,
    );
    if (error.kind === "cleanup-failed") process.stderr.write(formatRunError(error, false));
  } else process.stderr.write(formatRunError(error, args.options.debug === true));
  process.stderr.write(`  run directory: ${where}\n`);
  return EXIT.failed;
}

/** The run's numeric summary values as one line (`--no-progress` has no renderer to print it). */
function finalMetrics(store: RunStore): string | undefined {
  const numeric = Object.entries(store.summary()).filter(
    (entry): entry is [string, number] => typeof entry[1] === "number",
  );
  return formatMetricsLine(Object.fromEntries(numeric));
}

/** `meta.json`'s record of the backend in use: `backend`, `backendReason`, `backendSkipped`. */
function backendMeta(backend: ResolvedBackend): Record<string, unknown> {
  return {
    backend: backend.name,
    ...(backend.reason === undefined ? {} : { backendReason: backend.reason }),
    ...(backend.skipped === undefined ? {} : { backendSkipped: backend.skipped }),
  };
}

function isInterrupt(error: PipelineError, controller: AbortController): boolean {
  if (error.kind === "cancelled") return true;
  return (
    error.kind === "cleanup-failed" &&
    error.primary?.kind === "cancelled" &&
    controller.signal.aborted
  );
}

function relativeDir(dir: string): string {
  const cwd = `${process.cwd()}/`;
  return dir.startsWith(cwd) ? dir.slice(cwd.length) : dir;
}

function openStore(
  args: ParsedArgs,
  pipeline: string,
  config: unknown,
  meta: Parameters<typeof runMeta>[0],
): RunStore {
  const root = resolve(String(args.options.runs ?? "runs"));
  const resume = args.options.resume as string | undefined;
  const runDir = args.options["run-dir"] as string | undefined;
  if (resume !== undefined) {
    const dir = runDir ? resolve(runDir) : resolveRunDir(root, pipeline, resume);
    if (dir === undefined || !existsSync(join(dir, "meta.json"))) {
      throw new UsageError(
        `no run "${resume}" of pipeline "${pipeline}" under ${root}`,
        'see "tipi runs" for the run ids',
      );
    }
    const store = RunStore.open(dir);
    store.setStatus("running");
    return store;
  }
  if (runDir !== undefined && existsSync(join(resolve(runDir), "meta.json"))) {
    throw new UsageError(
      `--run-dir ${runDir} already holds a run`,
      "pass --resume to continue it, or choose a new directory",
    );
  }
  return RunStore.create({
    root,
    pipeline,
    config: config ?? {},
    meta: runMeta(meta),
    ...(runDir === undefined ? {} : { dir: resolve(runDir) }),
  });
}

async function chooseRenderer(
  args: ParsedArgs,
  stdout: TextSink,
  permanences: number,
): Promise<RunRenderer | undefined> {
  if (args.options.json) return new JsonRenderer(stdout);
  if (args.options.progress === false) return undefined;
  if (interactive(process.stdout)) {
    const { TtyRenderer } = await import("../ui/tty-renderer.ts");
    return new TtyRenderer(permanences);
  }
  return new PlainRenderer(stdout, permanences);
}

/** `✖ step "train" failed: …`, with causes; stack traces only with --debug. */
export function formatRunError(error: PipelineError, debug: boolean): string {
  const lines = [`✖ ${describeError(error)}`];
  if (error.kind === "cleanup-failed") {
    if (error.primary) lines.push(`  first: ${describeError(error.primary)}`);
    for (const f of error.failures)
      lines.push(`  cleanup of ${f.permanence}: ${causeText(f.cause)}`);
  }
  if (error.kind === "validation-failed" || error.kind === "config-invalid") {
    for (const i of error.issues) lines.push(`  ${i.path ? `${i.path}: ` : ""}${i.message}`);
  }
  const cause = "cause" in error ? error.cause : undefined;
  if (debug && cause instanceof Error && cause.stack) lines.push(cause.stack);
  else if (cause instanceof Error) lines.push("  (run with --debug for the stack trace)");
  return `${lines.join("\n")}\n`;
}

function describeError(error: PipelineError): string {
  return error.message;
}
