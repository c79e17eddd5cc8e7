/**
 * Tolerant readers for run files: a report shows what a directory holds, so a missing, torn or
 * corrupt file becomes a note instead of an exception.
 */
import { readFileSync, statSync } from "node:fs";
import { isTable } from "@tipi/core";

/** Something the report could not show, said once at the top of the page and on stderr. */
export type Notes = string[];

/** A JSON file's object, or `undefined` (with a note unless it is merely `optional` and absent). */
export function readJsonObject(
  path: string,
  label: string,
  notes: Notes,
  options: { optional?: boolean } = {},
): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      if (!options.optional) notes.push(`${label} is missing`);
      return undefined;
    }
    notes.push(`${label} cannot be read: ${(error as Error).message}`);
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (isTable(value)) return value;
    notes.push(`${label} does not hold a JSON object`);
  } catch (error) {
    notes.push(
      text.trim() === ""
        ? `${label} is empty (the run stopped while writing it?)`
        : `${label} is not valid JSON: ${(error as Error).message}`,
    );
  }
  return undefined;
}

/** The complete lines of a JSON-lines file and the byte offset just after the last of them. */
export interface JsonlRead {
  readonly records: Record<string, unknown>[];
  /** Bytes up to and including the last newline: where following the file goes on. */
  readonly bytes: number;
}

/**
 * Reads a JSON-lines file from byte `from`: complete lines only (a torn tail is left for
 * the next read and noted), corrupt lines skipped with their line number.
 */
export function readJsonlFrom(
  path: string,
  label: string,
  notes: Notes,
  from = 0,
  firstLine = 1,
): JsonlRead {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      notes.push(`${label} cannot be read: ${(error as Error).message}`);
    return { records: [], bytes: 0 };
  }
  const end = buffer.lastIndexOf(0x0a) + 1;
  if (end < buffer.length && buffer.subarray(Math.max(from, end)).toString("utf8").trim() !== "")
    notes.push(`${label} ends in a half-written line (the run stopped while writing it)`);
  const records: Record<string, unknown>[] = [];
  if (end <= from) return { records, bytes: Math.max(from, end) };
  const lines = buffer.subarray(from, end).toString("utf8").split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      const value: unknown = JSON.parse(line);
      if (isTable(value)) records.push(value);
      else notes.push(`${label}:${firstLine + i}: not a JSON object (skipped)`);
    } catch {
      notes.push(`${label}:${firstLine + i}: corrupt JSON line (skipped)`);
    }
  });
  return { records, bytes: end };
}

/** Size and modification time, or `undefined` when the path does not exist. */
export function fileInfo(path: string): { bytes: number; mtime: string } | undefined {
  try {
    const stat = statSync(path);
    return { bytes: stat.size, mtime: stat.mtime.toISOString() };
  } catch {
    return undefined;
  }
}

export const asString = (value: unknown): string | undefined =>
  typeof value === "string" ? value : undefined;

export const asNumber = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;
