import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { guardWrite } from "./write-error.ts";

/**
 * An append-only JSON-lines file. Each record is written with one `write` call of a whole
 * line, so a crash loses at most the line being written; on open, a torn last line left by
 * an earlier crash is cut off so new lines never glue onto it.
 */
export class JsonlAppender {
  #fd: number | undefined;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    cutTornTail(path);
  }

  /** Appends one record as a line; throws a {@link RunStoreWriteError} when it cannot. */
  append(record: unknown): void {
    const buffer = Buffer.from(`${JSON.stringify(record)}\n`);
    guardWrite("write", this.path, () => {
      this.#fd ??= openSync(this.path, "a");
      let offset = 0;
      while (offset < buffer.length) {
        offset += writeSync(this.#fd, buffer, offset, buffer.length - offset);
      }
    });
  }

  /** Flushes to the disk (not only the OS cache). */
  sync(): void {
    const fd = this.#fd;
    if (fd !== undefined) guardWrite("write", this.path, () => fsyncSync(fd));
  }

  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      guardWrite("write", this.path, () => fsyncSync(fd));
    } finally {
      closeSync(fd);
    }
  }
}

function cutTornTail(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return;
  }
  if (size === 0) return;
  const text = readFileSync(path);
  if (text[text.length - 1] === 0x0a) return;
  const lastNewline = text.lastIndexOf(0x0a);
  guardWrite("repair", path, () => truncateSync(path, lastNewline + 1));
}

/**
 * Reads a JSON-lines file, tolerating a torn (unparseable) last line and a missing file.
 * A corrupt line in the middle is an error: that is not a crash artefact.
 */
export function readJsonl<T = unknown>(path: string): T[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const lines = text.split("\n");
  const records: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch (error) {
      const isLast = lines.slice(i + 1).every((rest) => rest.trim() === "");
      if (isLast) break;
      throw new Error(`${path}:${i + 1}: corrupt JSON line`, { cause: error });
    }
  }
  return records;
}

/**
 * Writes a JSON file atomically (temp file + fsync + rename): readers see old or new. Throws a
 * {@link RunStoreWriteError} when it cannot (the old file is then left as it was).
 */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const text = `${JSON.stringify(value, null, 2)}\n`;
  guardWrite("write", path, () => {
    try {
      writeFileSync(tmp, text);
      const fd = openSync(tmp, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  });
}

/** Reads a JSON file, or `undefined` when it is missing. */
export function readJson<T = unknown>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
