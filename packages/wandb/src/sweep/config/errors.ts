import { formatPath, type SourcePath } from "../source/parsed-source.ts";

export interface SweepConfigIssue {
  readonly path: SourcePath;
  readonly message: string;
  readonly line?: number;
  readonly hint?: string;
}

/** A sweep config that W&B would reject; `issues` name the key path and, when known, the line. */
export class SweepConfigError extends Error {
  override readonly name = "SweepConfigError";
  constructor(
    readonly issues: readonly SweepConfigIssue[],
    readonly file?: string,
  ) {
    super(issues.map((issue) => formatIssue(issue, file)).join("\n"));
  }
}

export function formatIssue(issue: SweepConfigIssue, file?: string): string {
  const where = [file, issue.line].filter((part) => part !== undefined).join(":");
  const path = formatPath(issue.path);
  const head = [where, path].filter(Boolean).join(": ");
  return `${head ? `${head}: ` : ""}${issue.message}${issue.hint ? ` (${issue.hint})` : ""}`;
}

/** A sweep directory that cannot be used: it holds another sweep, or a live controller has it. */
export class SweepDirectoryError extends Error {
  override readonly name = "SweepDirectoryError";
}
