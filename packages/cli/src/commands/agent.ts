import { resolve } from "node:path";
import { installSigintHandler } from "@tipi/core";
import { AgentError, runAgent } from "@tipi/wandb";
import { findCommand } from "../cli/definitions.ts";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { optionCollision } from "../cli/wandb-agent-args.ts";

/** Reads a positive number of milliseconds from the environment (for tests and tuning). */
function envMs(name: string, scale = 1): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw) * scale;
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** `tipi agent <entity/project/sweep-id>`: runs a W&B sweep's trials as `tipi run` processes. */
export async function agentCommand(args: ParsedArgs): Promise<number> {
  const [sweep] = args.positionals as [string];
  const run = findCommand("run")!;
  const controller = new AbortController();
  const uninstall = installSigintHandler(controller, {
    signals: ["SIGINT", "SIGTERM"],
    onInterrupt: () =>
      process.stderr.write("\nstopping the agent: its trials end… (Ctrl-C again to force)\n"),
  });
  const tipiBin = process.argv[1]!;
  const heartbeatMs = envMs("TIPI_AGENT_HEARTBEAT_MS");
  const killGraceMs = envMs("WANDB_AGENT_KILL_DELAY", 1000);
  const maxBackoffMs = envMs("TIPI_AGENT_MAX_BACKOFF_MS");
  try {
    const outcome = await runAgent({
      sweep,
      runsDir: resolve(String(args.options.runs ?? "runs")),
      ...(args.options.count === undefined ? {} : { count: args.options.count as number }),
      ...(args.options.pipeline === undefined ? {} : { pipeline: String(args.options.pipeline) }),
      ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
      ...(killGraceMs === undefined ? {} : { killGraceMs }),
      ...(maxBackoffMs === undefined ? {} : { maxBackoffMs }),
      // Each trial watches the agent and ends itself if it is killed (runAgent's parentWatchEnv).
      launch: (argv) => ({ command: process.execPath, args: [tipiBin, ...argv] }),
      checkArgs: (params) => optionCollision(run, Object.keys(params)),
      signal: controller.signal,
      log: (message) => void process.stdout.write(`tipi agent: ${message}\n`),
    });
    const rows = outcome.trials.map(
      (t) =>
        `  ${t.runId}  ${t.status.padEnd(11)}${t.synced ? "" : "  not on W&B yet: tipi sync"}  ${t.runDir}`,
    );
    process.stdout.write(
      `${outcome.trials.length} trial(s) of ${outcome.sweep} (${outcome.reason}):\n${rows.join("\n")}${rows.length ? "\n" : ""}`,
    );
    if (outcome.message) process.stderr.write(`tipi agent: ${outcome.message}\n`);
    if (outcome.reason === "interrupted") return EXIT.interrupted;
    // The wandb agent's rules for trials that keep failing stopped it.
    return outcome.reason === "flapping" || outcome.reason === "failing" ? EXIT.failed : EXIT.ok;
  } catch (error) {
    // Ctrl-C before the agent had registered (W&B slow or down): nothing ran.
    if (controller.signal.aborted) return EXIT.interrupted;
    if (error instanceof AgentError) throw new UsageError(error.message);
    if (error instanceof Error && /is not a sweep: write/.test(error.message))
      throw new UsageError(error.message);
    throw error;
  } finally {
    uninstall();
  }
}
