import type { ParsedArgs } from "../cli/parse-args.ts";
import { type LoadedPipeline, loadPipeline } from "../config/load-pipeline.ts";
import { resolveTarget } from "../config/resolve-target.ts";

/**
 * Whether to draw live terminal UI: a TTY that reports its width, and not CI. A terminal that
 * says it has 0 columns (some CI pseudo-terminals, `stty cols 0`) gets plain lines: the spinner
 * and the bars cannot wrap in no width and would redraw forever.
 */
export function interactive(stream: NodeJS.WriteStream = process.stdout): boolean {
  const ci = process.env.CI;
  return (
    stream.isTTY === true &&
    (stream.columns ?? 0) > 0 &&
    (ci === undefined || ci === "" || ci === "false" || ci === "0")
  );
}

/** Resolves the `<pipeline>` argument and loads it with the `-c`, `--set` and `--seed` options. */
export async function loadFromArgs(
  args: ParsedArgs,
  options: { spinner?: boolean } = {},
): Promise<LoadedPipeline> {
  const target = resolveTarget(args.positionals[0]!);
  const spinner =
    options.spinner && interactive(process.stderr) ? await startSpinner(target.file) : undefined;
  try {
    return await loadPipeline(target, {
      configFiles: (args.options.config as string[] | undefined) ?? [],
      overrides: args.overrides,
      seed: args.options.seed as number | undefined,
    });
  } finally {
    spinner?.stop();
  }
}

async function startSpinner(file: string): Promise<{ stop(): void }> {
  const { default: ora } = await import("ora");
  return ora({ text: `Loading ${file}`, stream: process.stderr, discardStdin: false }).start();
}
