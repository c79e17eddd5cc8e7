/** Exit codes of `tipi`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A usage or config error: printed without a stack trace (unless --debug), exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Errors that are not bugs but the environment's doing (a full disk, a read-only directory):
 * printed as `tipi: message` with their `hint`, no "internal error", exit code 1.
 */
const ENVIRONMENT_ERRORS = new Set(["RunStoreWriteError"]);

export function isEnvironmentError(error: unknown): error is Error & { readonly hint?: string } {
  return error instanceof Error && ENVIRONMENT_ERRORS.has(error.name);
}

/**
 * Errors of tipi's libraries that mean the input was wrong (a sweep file, a sweep directory in
 * use): printed like a {@link UsageError}, exit code 2, wherever a command lets them through.
 */
const LIBRARY_USAGE_ERRORS = new Set(["SweepConfigError", "SweepDirectoryError"]);

export function isUsageErrorOfLibrary(error: unknown): error is Error {
  return error instanceof Error && LIBRARY_USAGE_ERRORS.has(error.name);
}
