import { join, resolve } from "node:path";
import { installSigintHandler, type TipiEvent } from "@tipi/core";
import {
  AgentApi,
  alignColumns,
  defaultTrialCommand,
  formatFlagValue,
  formatParamCell,
  formatSweepWarnings,
  loadSweepConfig,
  paramValue,
  planTrials,
  runSweep,
  type SweepConfig,
  SweepConfigError,
  sweepDeprecations,
  sweepForServer,
  WandbRequestError,
  withRetry,
} from "@tipi/wandb";
import { findCommand } from "../cli/definitions.ts";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { optionCollision } from "../cli/wandb-agent-args.ts";
import { loadPipeline } from "../config/load-pipeline.ts";
import { ConfigProblems } from "../config/problems.ts";
import { resolveTarget, type Target } from "../config/resolve-target.ts";
import { checkSweep } from "../config/sweep-check.ts";
import { PlainRenderer } from "../ui/plain-renderer.ts";
import { sweepVerdict } from "../ui/sweep-verdict.ts";
import { checkSweepArguments, checkSweepTarget } from "./sweep-arguments.ts";

/** `tipi sweep <pipeline> <sweep-file>`: runs trials as `tipi run` child processes. */
export async function sweepCommand(args: ParsedArgs): Promise<number> {
  const [pipeline, sweepFile] = args.positionals as [string, string];
  checkSweepArguments(pipeline, sweepFile);
  if (args.options.wandb) return createWandbSweep(args, pipeline, sweepFile);
  const target = resolveTarget(pipeline);
  checkSweepTarget(target, pipeline);
  let config: Awaited<ReturnType<typeof loadSweepConfig>>;
  try {
    config = await loadSweepConfig(resolve(sweepFile));
  } catch (error) {
    if (error instanceof SweepConfigError || error instanceof Error) {
      throw new UsageError(`invalid sweep file ${sweepFile}: ${error.message}`);
    }
    throw error;
  }
  // W&B's deprecation warnings, as the wandb CLI prints them.
  for (const line of formatSweepWarnings(sweepDeprecations(config)))
    process.stderr.write(`${line}\n`);
  // Every parameter is a key the pipeline takes, the search has an end: before any trial runs.
  await checkSweep(target, config, resolve(sweepFile), args.options.count as number | undefined);
  if (args.options["dry-run"]) return dryRun(args, target, config);
  const name = config.name ?? target.defaultName;
  const sweepDir = resolve(
    (args.options["sweep-dir"] as string | undefined) ??
      join(String(args.options.runs ?? "runs"), "sweeps", `${target.defaultName}-${name}`),
  );
  const controller = new AbortController();
  const uninstall = installSigintHandler(controller, {
    onInterrupt: () => process.stderr.write("\nstopping the sweep… (Ctrl-C again to force)\n"),
  });
  const renderer = new PlainRenderer({ write: (text) => void process.stdout.write(text) });
  const tipiBin = process.argv[1]!;
  try {
    const outcome = await runSweep({
      pipeline,
      config,
      sweepDir,
      parallel: (args.options.parallel as number | undefined) ?? 1,
      ...(args.options.seed === undefined ? {} : { seed: args.options.seed as number }),
      ...(args.options.count === undefined ? {} : { count: args.options.count as number }),
      signal: controller.signal,
      onEvent: (event: TipiEvent) => renderer.onEvent(event),
      trialCommand: (trial) => {
        const command = defaultTrialCommand(trial);
        return { ...command, command: process.execPath, args: [tipiBin, ...command.args] };
      },
    });
    process.stdout.write(`${outcome.table}\nsweep directory: ${outcome.sweepDir}\n`);
    if (controller.signal.aborted) {
      // the same command continues it: finished trials stay, pending ones run
      const again = ["npx", "tipi", ...process.argv.slice(2)].map(shellWord).join(" ");
      process.stderr.write(`✖ sweep interrupted · resume: ${again}\n`);
      return EXIT.interrupted;
    }
    const verdict = sweepVerdict(outcome, config);
    for (const line of verdict.lines) process.stderr.write(`${line}\n`);
    return verdict.code;
  } finally {
    uninstall();
  }
}

/**
 * `tipi sweep --wandb`: creates the sweep on the W&B server from the same file (validated
 * here first; `program` defaults to the pipeline, `command` to `tipi run ${program} ${args}`)
 * and prints the agent command, as `wandb sweep` does.
 */
async function createWandbSweep(
  args: ParsedArgs,
  pipeline: string,
  sweepFile: string,
): Promise<number> {
  const apiKey = process.env.WANDB_API_KEY ?? "";
  if (apiKey === "") throw new UsageError("tipi sweep --wandb needs WANDB_API_KEY");
  const target = resolveTarget(pipeline);
  let upload: Awaited<ReturnType<typeof sweepForServer>>;
  try {
    upload = await sweepForServer(resolve(sweepFile), pipeline);
  } catch (error) {
    if (error instanceof SweepConfigError)
      throw new UsageError(`invalid sweep file ${sweepFile}: ${error.message}`);
    throw error;
  }
  const names = new Set(upload.config.parameters.map((p) => p.path[0] as string));
  const collision = optionCollision(findCommand("run")!, names);
  if (collision) throw new UsageError(`${sweepFile}: ${collision}`);
  const raw = upload.config.raw;
  const entity =
    (args.options.entity as string | undefined) ??
    process.env.WANDB_ENTITY ??
    (typeof raw.entity === "string" ? raw.entity : undefined);
  const project =
    (args.options.project as string | undefined) ??
    process.env.WANDB_PROJECT ??
    (typeof raw.project === "string" ? raw.project : target.defaultName);
  const api = new AgentApi({
    baseUrl: process.env.WANDB_BASE_URL ?? "https://api.wandb.ai",
    apiKey,
  });
  const say = (line: string) => void process.stdout.write(`tipi: ${line}\n`);
  say(`Creating sweep from: ${sweepFile}`);
  if (upload.replacedProgram !== undefined)
    say(`program: ${pipeline} (the file's program ${upload.replacedProgram} is replaced)`);
  let created: Awaited<ReturnType<AgentApi["upsertSweep"]>>;
  try {
    created = await withRetry(
      () => api.upsertSweep({ config: upload.yaml, project, ...(entity ? { entity } : {}) }),
      {
        attempts: 5,
        onRetry: (error, wait) =>
          say(`W&B did not answer (${error.message}); retrying in ${wait} ms`),
      },
    );
  } catch (error) {
    if (!(error instanceof WandbRequestError)) throw error;
    if (!error.retryable) throw new UsageError(`W&B refused the sweep: ${error.message}`);
    process.stderr.write(`tipi: W&B did not answer (${error.message}); no sweep was created\n`);
    return EXIT.failed;
  }
  const warnings =
    created.warnings.length > 0 ? created.warnings : sweepDeprecations(upload.config);
  for (const line of formatSweepWarnings(warnings)) process.stdout.write(`${line}\n`);
  const owner = created.entity ?? entity ?? (await api.viewer().catch(() => undefined));
  const path = [owner, created.project ?? project, created.name].filter(Boolean).join("/");
  say(`Created sweep with ID: ${created.name}`);
  say(`Run sweep agent with: tipi agent ${path}`);
  say(`  (the Python agent works too: wandb agent ${path})`);
  return EXIT.ok;
}

/**
 * `tipi sweep --dry-run`: the trials the sweep would run (a grid's combinations, the random
 * draws of its seed, a bayes sweep's first random draws), each loaded with the overrides its
 * `tipi run` would get; exit 2 when any of them is refused.
 */
async function dryRun(args: ParsedArgs, target: Target, config: SweepConfig): Promise<number> {
  const plan = planTrials(config, {
    ...(args.options.seed === undefined ? {} : { seed: args.options.seed as number }),
    ...(args.options.count === undefined ? {} : { count: args.options.count as number }),
  });
  const shown = config.parameters.filter((p) => p.spec.distribution !== "constant");
  const columns = shown.length > 0 ? shown : config.parameters;
  const header = ["trial", ...columns.map((p) => p.key), "check"];
  const rows: string[][] = [];
  const problems: string[] = [];
  for (const [i, params] of plan.trials.entries()) {
    const id = `trial-${String(i + 1).padStart(4, "0")}`;
    const overrides = config.parameters.map((p) => {
      const value = formatFlagValue(paramValue(params, p));
      return { key: p.key, value, source: `--set ${p.key}=${value}` };
    });
    let check = "ok";
    try {
      await loadPipeline(target, { overrides });
    } catch (error) {
      if (!(error instanceof ConfigProblems)) throw error;
      check = `invalid (${error.problems.length} problem${error.problems.length === 1 ? "" : "s"})`;
      problems.push(...error.problems.map((p) => `${id}: ${p.message}`));
    }
    rows.push([id, ...columns.map((p) => formatParamCell(paramValue(params, p))), check]);
  }
  const total = plan.total === undefined ? "" : ` of ${plan.total}`;
  process.stdout.write(
    `${[
      `${config.method} sweep of ${target.defaultName}: ${plan.trials.length}${total} trial(s)`,
      ...alignColumns([header, ...rows], { rule: true }),
      ...(plan.note ? [`(${plan.note})`] : []),
      ...problems,
      "dry run: nothing ran",
    ].join("\n")}\n`,
  );
  return problems.length > 0 ? EXIT.usage : EXIT.ok;
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
