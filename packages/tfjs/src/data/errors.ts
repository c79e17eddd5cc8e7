/**
 * A dataset could not be read: the message names the file and says what is wrong, so
 * callers (the CLI, a pipeline step) can show it as is, without a stack trace.
 */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
  /** The file (or folder) at fault, when there is one. */
  readonly file: string | undefined;

  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.file = options.file;
  }
}
