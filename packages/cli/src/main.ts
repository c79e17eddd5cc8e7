import { didYouMean } from "@tipi/core/did-you-mean";
import { COMMANDS, findCommand } from "./cli/definitions.ts";
import { EXIT, isEnvironmentError, isUsageErrorOfLibrary, UsageError } from "./cli/errors.ts";
import { commandHelp, mainHelp } from "./cli/help.ts";
import { type ParsedArgs, parseArgs } from "./cli/parse-args.ts";
import { ConfigProblems, formatProblems } from "./config/problems.ts";
import { VERSION } from "./version.ts";

export type CommandHandler = (args: ParsedArgs) => Promise<number>;

/** Loads a command's implementation; only these pull in @tipi/core and friends. */
const HANDLERS: Record<string, () => Promise<CommandHandler>> = {
  run: async () => (await import("./commands/run.ts")).runCommand,
  validate: async () => (await import("./commands/validate.ts")).validateCommand,
  graph: async () => (await import("./commands/graph.ts")).graphCommand,
  list: async () => (await import("./commands/list.ts")).listCommand,
  init: async () => (await import("./commands/init.ts")).initCommand,
  runs: async () => (await import("./commands/runs.ts")).runsCommand,
  sync: async () => (await import("./commands/sync.ts")).syncCommand,
  sweep: async () => (await import("./commands/sweep.ts")).sweepCommand,
  agent: async () => (await import("./commands/agent.ts")).agentCommand,
  report: async () => (await import("./commands/report.ts")).reportCommand,
  ui: async () => (await import("./commands/ui.ts")).uiCommand,
};

/** Runs `tipi` with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes("--debug");
  // Stack traces point into the TypeScript sources (the transpiler inlines source maps).
  if (debug) process.setSourceMapsEnabled(true);
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const command = name === "help" && rest[0] ? findCommand(rest[0]) : undefined;
    process.stdout.write(command ? commandHelp(command) : mainHelp(VERSION));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  try {
    const command = findCommand(name);
    if (command === undefined) {
      throw new UsageError(
        `unknown command "${name}"`,
        didYouMean(
          name,
          COMMANDS.map((c) => c.name),
        ) ?? 'run "tipi --help" for the commands',
      );
    }
    const args = parseArgs(command, rest);
    if (args.options.help) {
      process.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    const handler = await HANDLERS[command.name]!();
    return await handler(args);
  } catch (error) {
    return reportError(error, debug);
  }
}

/** Prints an error the way the CLI does and returns its exit code. */
export function reportError(error: unknown, debug: boolean): number {
  if (error instanceof UsageError || isUsageErrorOfLibrary(error)) {
    const hint = "hint" in error && typeof error.hint === "string" ? error.hint : undefined;
    process.stderr.write(`tipi: ${error.message}\n${hint ? `  hint: ${hint}\n` : ""}`);
    if (debug) process.stderr.write(`${error.stack}\n`);
    return EXIT.usage;
  }
  if (error instanceof ConfigProblems) {
    process.stderr.write(formatProblems(error.problems));
    const count = error.problems.length;
    process.stderr.write(`${count} problem${count === 1 ? "" : "s"} found; nothing ran.\n`);
    if (debug) process.stderr.write(`${error.stack}\n`);
    return EXIT.usage;
  }
  if (isEnvironmentError(error)) {
    process.stderr.write(`tipi: ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ""}`);
    if (debug) process.stderr.write(`${error.stack}\n`);
    return EXIT.failed;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`tipi: internal error: ${message}\n`);
  process.stderr.write(
    debug && error instanceof Error
      ? `${error.stack}\n`
      : "  (run with --debug for the stack trace)\n",
  );
  return EXIT.failed;
}
