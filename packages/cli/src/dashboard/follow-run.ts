/**
 * Follows a run directory as the run writes it: new complete lines of `history.jsonl` and
 * changes of `status.json`. `fs.watch` on the directory wakes it at once; a poll every
 * `pollMs` catches what watching misses (network filesystems, editors that replace files,
 * an inotify limit), so the files stay the only source of truth.
 */
import { closeSync, type FSWatcher, fstatSync, openSync, readSync, statSync, watch } from "node:fs";
import { join } from "node:path";
import { isTable } from "@tipi/core";
import { readJsonObject } from "../report/read-files.ts";
import { type HistoryPoint, toHistoryPoint } from "../report/run-data.ts";

export interface RunUpdate {
  readonly history?: readonly HistoryPoint[];
  readonly status?: { readonly status: string; readonly summary: Record<string, number> };
}

export interface FollowOptions {
  /** Byte offset in `history.jsonl` already shown (the page's `historyBytes`). */
  readonly from: number;
  /** How many rows the page has (the index of the next row). */
  readonly index: number;
  readonly pollMs?: number;
  /** `false`: poll only (as where `fs.watch` does not work). */
  readonly watch?: boolean;
}

/** Reads the complete lines appended to `path` after byte `from`. */
function readAppendedLines(
  path: string,
  from: number,
): { lines: string[]; bytes: number; truncated: boolean } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return { lines: [], bytes: from, truncated: false };
  }
  try {
    const size = fstatSync(fd).size;
    if (size < from) return { lines: [], bytes: 0, truncated: true };
    if (size === from) return { lines: [], bytes: from, truncated: false };
    const buffer = Buffer.alloc(size - from);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, from + read);
      if (n === 0) break;
      read += n;
    }
    const end = buffer.subarray(0, read).lastIndexOf(0x0a) + 1;
    if (end === 0) return { lines: [], bytes: from, truncated: false };
    const lines = buffer
      .subarray(0, end)
      .toString("utf8")
      .split("\n")
      .filter((line) => line.trim() !== "");
    return { lines, bytes: from + end, truncated: false };
  } finally {
    closeSync(fd);
  }
}

function statusStamp(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  } catch {
    return "";
  }
}

/** Calls `onUpdate` with every change from now on; returns a function that stops following. */
export function followRun(
  dir: string,
  options: FollowOptions,
  onUpdate: (update: RunUpdate) => void,
): () => void {
  const historyPath = join(dir, "history.jsonl");
  const statusPath = join(dir, "status.json");
  let bytes = options.from;
  let index = options.index;
  let lastStatus = statusStamp(statusPath);
  let stopped = false;
  let scheduled: NodeJS.Timeout | undefined;

  const check = () => {
    scheduled = undefined;
    if (stopped) return;
    const appended = readAppendedLines(historyPath, bytes);
    if (appended.truncated) {
      // The file was replaced by a shorter one: start again from its beginning.
      bytes = 0;
      index = 0;
      return check();
    }
    bytes = appended.bytes;
    const points: HistoryPoint[] = [];
    for (const line of appended.lines) {
      try {
        const value: unknown = JSON.parse(line);
        if (isTable(value)) points.push(toHistoryPoint(value, index++));
      } catch {
        // A corrupt line is skipped here as in the report (which names it).
      }
    }
    if (points.length > 0) onUpdate({ history: points });
    const stamp = statusStamp(statusPath);
    if (stamp !== lastStatus) {
      lastStatus = stamp;
      const record = readJsonObject(statusPath, "status.json", [], { optional: true });
      const summary = readJsonObject(join(dir, "summary.json"), "summary.json", [], {
        optional: true,
      });
      const numeric: Record<string, number> = {};
      for (const [key, value] of Object.entries(summary ?? {}))
        if (typeof value === "number" && Number.isFinite(value)) numeric[key] = value;
      if (typeof record?.status === "string")
        onUpdate({ status: { status: record.status, summary: numeric } });
    }
  };
  const soon = () => {
    scheduled ??= setTimeout(check, 15);
  };

  let watcher: FSWatcher | undefined;
  try {
    if (options.watch !== false) watcher = watch(dir, { persistent: false }, soon);
    watcher?.on("error", () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    watcher = undefined;
  }
  const poll = setInterval(check, options.pollMs ?? (watcher ? 1000 : 250));
  poll.unref();
  check();
  return () => {
    stopped = true;
    clearInterval(poll);
    if (scheduled) clearTimeout(scheduled);
    watcher?.close();
  };
}
