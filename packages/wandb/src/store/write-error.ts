import { messageOf } from "@tipi/core";

/** Why a file system call failed, in words, by its `code`. */
const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is exceeded",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "the operation is not permitted",
  ENOTDIR: "a file is in the way of a directory on that path",
  EEXIST: "a file is in the way",
  EISDIR: "a directory is in the way",
  EIO: "an input/output error",
};

/**
 * A run directory (or the runs root) could not be written: the disk is full, the directory is
 * read-only, a file is in the way… `message` says which path and why; `code` is the system's
 * error code (`ENOSPC`, `EACCES`, …).
 */
export class RunStoreWriteError extends Error {
  readonly code: string | undefined;
  readonly path: string;

  constructor(action: string, path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const reason = (code !== undefined ? REASONS[code] : undefined) ?? messageOf(cause);
    super(`cannot ${action} ${path}: ${reason}${code === undefined ? "" : ` (${code})`}`, {
      cause,
    });
    this.name = "RunStoreWriteError";
    this.code = code;
    this.path = path;
  }

  /** What the user can do about it. */
  get hint(): string {
    return this.code === "ENOSPC" || this.code === "EDQUOT"
      ? "free some space on that disk, or write the runs elsewhere (--runs DIR)"
      : "write the runs to a directory you can write to (--runs DIR)";
  }
}

/** Runs `write`; a failure becomes a {@link RunStoreWriteError} naming `path`. */
export function guardWrite<T>(action: string, path: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    if (error instanceof RunStoreWriteError) throw error;
    throw new RunStoreWriteError(action, path, error);
  }
}

/**
 * Runs every write in order, even after one throws, and returns the first error (undefined
 * when all succeeded): for closing writes that must each be tried, such as a run's final status
 * after its logs failed to sync. A `false` entry (a write that does not apply) is skipped.
 */
export function attemptEach(writes: readonly ((() => void) | false)[]): unknown {
  let failure: unknown;
  for (const write of writes) {
    if (write === false) continue;
    try {
      write();
    } catch (error) {
      failure ??= error;
    }
  }
  return failure;
}
