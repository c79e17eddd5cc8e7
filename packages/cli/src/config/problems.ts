import type { KeyPath, SourcePosition } from "./toml-locator.ts";

/** One thing wrong with a config or the command line, located where possible. */
export interface ConfigProblem {
  /** The file as the user should read it (relative to the working directory). */
  readonly file?: string;
  readonly position?: SourcePosition;
  readonly path?: KeyPath;
  readonly message: string;
  readonly hint?: string;
  /** The source line, for the code frame. */
  readonly sourceLine?: string;
}

/** `processes.train.params.lr`, `modules[0]`. */
function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else
      out += `${out === "" ? "" : "."}${/^[A-Za-z0-9_-]+$/.test(segment) ? segment : JSON.stringify(segment)}`;
  }
  return out;
}

/**
 * Renders problems as the CLI prints them:
 *
 *     pipeline.toml:7:1: processes.train.type: unknown process type "Trian"
 *        7 | type = "Trian"
 *          | ^
 *       hint: did you mean "Train"?
 */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  const blocks = problems.map((problem) => {
    const where = [
      problem.file
        ? `${problem.file}${problem.position ? `:${problem.position.line}:${problem.position.column}` : ""}`
        : undefined,
      problem.path && problem.path.length > 0 ? formatKeyPath(problem.path) : undefined,
    ].filter(Boolean);
    const lines = [`${[...where, problem.message].join(": ")}`];
    if (problem.sourceLine !== undefined && problem.position) {
      const number = String(problem.position.line);
      const gutter = " ".repeat(number.length);
      lines.push(`  ${number} | ${problem.sourceLine}`);
      lines.push(`  ${gutter} | ${" ".repeat(Math.max(0, problem.position.column - 1))}^`);
    }
    if (problem.hint) lines.push(`  hint: ${problem.hint}`);
    return lines.join("\n");
  });
  return `${blocks.join("\n")}\n`;
}

/** Thrown (and caught by the command runner) to stop with exit code 2 and these problems. */
export class ConfigProblems extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map((p) => p.message).join("; "));
    this.name = "ConfigProblems";
  }
}
