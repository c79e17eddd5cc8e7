import { join, resolve } from "node:path";
import { installSigintHandler, type TipiEvent } from "@tipi/core";
import { defaultTrialCommand, loadSweepConfig, runSweep, SweepConfigError } from "@tipi/wandb";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { resolveTarget } from "../config/resolve-target.ts";
import { PlainRenderer } from "../ui/plain-renderer.ts";

/** `tipi sweep <pipeline> <sweep-file>`: runs trials as `tipi run` child processes. */
export async function sweepCommand(args: ParsedArgs): Promise<number> {
  const [pipeline, sweepFile] = args.positionals as [string, string];
  const target = resolveTarget(pipeline);
  let config: Awaited<ReturnType<typeof loadSweepConfig>>;
  try {
    config = await loadSweepConfig(resolve(sweepFile));
  } catch (error) {
    if (error instanceof SweepConfigError || error instanceof Error) {
      throw new UsageError(`invalid sweep file ${sweepFile}: ${error.message}`);
    }
    throw error;
  }
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
    if (controller.signal.aborted) return EXIT.interrupted;
    return EXIT.ok;
  } finally {
    uninstall();
  }
}
