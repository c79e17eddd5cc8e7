import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { installSigintHandler, messageOf, type PipelineError, type TipiEvent } from "@tipi/core";
import { RunStore, readJson } from "@tipi/wandb";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import {
  type LoadedPipeline,
  type LoadOptions,
  loadPipeline,
  type ResolvedBackend,
} from "../config/load-pipeline.ts";
import { resolveTarget } from "../config/resolve-target.ts";
import {
  changesRefused,
  planResume,
  type ResumePlan,
  recipeOf,
  resumeCommand,
  writeStoredConfig,
} from "../run/resume-config.ts";
import { repeatedMetricFilter } from "../run/resume-history.ts";
import { runMeta } from "../run/run-meta.ts";
import { describeStoreFailure, RunRecorder } from "../run/run-recorder.ts";
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
  const first = await loadFromArgs(args, { spinner: !json && args.options.progress !== false });
  const resumed =
    args.options.resume === undefined
      ? undefined
      : await planResume(args, first, (options) => loadWithOptions(args, options));
  const loaded = resumed?.loaded ?? first;
  if (resumed !== undefined && resumed.plan.changes.length > 0 && !args.options["allow-changes"]) {
    throw changesRefused(resumed.plan.changes, resumed.plan.dir);
  }
  const graph = loaded.pipeline.describe();

  if (args.options["dry-run"]) {
    process.stdout.write(graphText(graph, loaded.name));
    if (loaded.config) process.stdout.write(`resolved config:\n${toJsonLine(loaded.config)}\n`);
    process.stdout.write("dry run: nothing ran\n");
    return EXIT.ok;
  }

  const meta = {
    pipelineFile: loaded.target.file,
    seed: loaded.seed,
    backend: loaded.backend,
    argv: process.argv.slice(2),
    recipe: resumed?.plan.recipe ?? recipeOf(args),
  };
  const store =
    resumed === undefined
      ? createStore(args, loaded.name, loaded.config, meta)
      : resumeStore(resumed.plan, loaded.config, meta);

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
  // A failed write (disk full, read-only directory) stops the run instead of losing data.
  const recorder = new RunRecorder(store, controller);
  // A step awaiting a promise nothing can settle: abort it, so cleanup runs and we say so.
  const stall = new StallWatch(controller, (stalled) => {
    process.stderr.write(`✖ ${stalled.message}; cleanup stalled too, exiting\n`);
    recorder.finish("failed", { error: stalled.message });
    process.exit(EXIT.failed);
  });
  // A tracker's warnings (W&B unreachable: "run tipi sync later") reach the terminal in every mode.
  const unwatchStore = recorder.onStoreOnlyEvent((event) => {
    if (renderer !== undefined) renderer.onEvent(event);
    else if (event.type === "log" && event.level !== "info")
      process.stderr.write(`${event.level}: ${event.message}\n`);
  });
  const repeated = resumed === undefined ? () => false : repeatedMetricFilter(store.dir);
  let error: PipelineError | undefined;
  const started = Date.now();
  try {
    let backendRecorded = false;
    const onEvent = (event: TipiEvent) => {
      stall.onEvent(event);
      // A resumed run's replayed steps are shown, not recorded twice.
      if (!repeated(event)) recorder.record(event);
      renderer?.onEvent(event);
      // Warnings (a damaged checkpoint skipped on resume…) are shown with --no-progress too.
      if (
        renderer === undefined &&
        event.type === "log" &&
        (event.level === "warn" || event.level === "error")
      )
        process.stderr.write(`${event.level}: ${event.message}\n`);
      // Known once the Device is initialised: recorded then, so a run that fails later has it.
      if (!backendRecorded && event.type === "permanence" && event.phase === "initialize") {
        const backend = loaded.resolvedBackend?.();
        if (backend !== undefined) {
          backendRecorded = true;
          recorder.write(() => store.updateMeta(backendMeta(backend)));
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
    unwatchStore();
    await renderer?.stop();
    stall.stop();
    uninstall();
    if (json) process.stdout.write = realStdoutWrite as typeof process.stdout.write;
  }
  const backend = loaded.resolvedBackend?.();
  const storeFailure = recorder.failure;
  const status =
    error === undefined && storeFailure === undefined
      ? "finished"
      : stall.error === undefined && storeFailure === undefined && isInterrupt(error!, controller)
        ? "interrupted"
        : "failed";
  const markFailure = recorder.finish(status, {
    ...(backend === undefined ? {} : { summary: { backend: backend.name } }),
    ...(status === "failed"
      ? { error: messageOf(storeFailure ?? stall.error ?? error?.message) }
      : {}),
  });
  if (storeFailure !== undefined || markFailure !== undefined) {
    process.stderr.write(
      describeStoreFailure(storeFailure, markFailure, status, relativeDir(store.dir)),
    );
    return EXIT.failed;
  }
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
      `✖ ${loaded.name} interrupted; cleanup done · resume: ${resumeCommand(args, store.dir, store.runId, loaded.name)}\n`,
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
  return isConfigFailure(error) ? EXIT.usage : EXIT.failed;
}

/**
 * A permanence refused its config when validated (its error has `configError: true`, e.g.
 * tfjs's `ArchitectureError` for a model too deep for the images): exit 2, like a bad file.
 */
function isConfigFailure(error: PipelineError): boolean {
  const failed = error.kind === "cleanup-failed" ? error.primary : error;
  if (failed?.kind !== "permanence-failed" || failed.phase !== "validate") return false;
  const cause = failed.cause as { configError?: unknown } | undefined;
  return cause?.configError === true;
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

function createStore(
  args: ParsedArgs,
  pipeline: string,
  config: unknown,
  meta: Parameters<typeof runMeta>[0],
): RunStore {
  const root = resolve(String(args.options.runs ?? "runs"));
  const runDir = args.options["run-dir"] as string | undefined;
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

/**
 * Reopens the run being resumed. Changes allowed with `--allow-changes` are recorded: the new
 * config replaces `config.json`, the new recipe `meta.json`'s, and `resumes` lists each resume.
 */
function resumeStore(
  plan: ResumePlan,
  config: unknown,
  meta: Parameters<typeof runMeta>[0],
): RunStore {
  const store = RunStore.open(plan.dir);
  const current = readJson<{ resumes?: unknown[] }>(join(plan.dir, "meta.json"));
  const resumes = Array.isArray(current?.resumes) ? current.resumes : [];
  if (plan.changes.length > 0) writeStoredConfig(plan.dir, config);
  store.updateMeta({
    recipe: meta.recipe,
    resumes: [
      ...resumes,
      {
        at: new Date().toISOString(),
        argv: ["tipi", ...meta.argv],
        ...(plan.changes.length > 0 ? { changed: plan.changes.map((c) => c.key) } : {}),
      },
    ],
  });
  store.setStatus("running");
  return store;
}

/** Loads the pipeline `args` names with other `-c` files, overrides and seed. */
function loadWithOptions(args: ParsedArgs, options: LoadOptions): Promise<LoadedPipeline> {
  return loadPipeline(resolveTarget(args.positionals[0]!), options);
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
function formatRunError(error: PipelineError, debug: boolean): string {
  const lines = [`✖ ${describeError(error)}`];
  if (error.kind === "cleanup-failed") {
    if (error.primary) lines.push(`  first: ${describeError(error.primary)}`);
    for (const f of error.failures)
      lines.push(`  cleanup of ${f.permanence}: ${causeText(f.cause)}`);
  }
  if (error.kind === "validation-failed") {
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
