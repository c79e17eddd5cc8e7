/**
 * A lock file holding its owner's pid, created exclusively: one holder at a time, and a lock
 * left by a dead process is taken over. Used for a run's sync (`wandb-sync.lock`) and a
 * sweep directory's controller (`sweep.lock`).
 */
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isProcessAlive } from "../process/process-alive.ts";

/** Locks this process holds (its own pid in a lock file says nothing about which call). */
const held = new Set<string>();

/** The lock is ours until `release()`; or a live process (`heldBy`, its pid) has it. */
export type PidLock = { readonly release: () => void } | { readonly heldBy: number };

/**
 * Takes the lock file at `path`. The pid is written to a file of our own first and linked into
 * place, so the lock file never exists without its pid (a contender reading a half-written lock
 * would take it for stale). A file naming a dead process (or no pid) is removed, by one
 * contender only (see `removeStale`), and tried again; one that vanished before it could be
 * read (released meanwhile) is tried again.
 * @throws Error when the file system refuses the lock file (other than "it exists"), or when
 * the second attempt loses to another process too.
 */
export function acquirePidLock(path: string): PidLock {
  if (held.has(path)) return { heldBy: process.pid };
  const ours = `${path}.${process.pid}`;
  writeFileSync(ours, String(process.pid));
  try {
    return takeOrReport(path, ours);
  } finally {
    rmSync(ours, { force: true });
  }
}

function takeOrReport(path: string, ours: string): PidLock {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      linkSync(ours, path);
      held.add(path);
      return {
        release: () => {
          held.delete(path);
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const text = readHolder(path);
      // Released since our link failed: the path may be someone else's again by now, so it is
      // not ours to remove; just try again.
      if (text === undefined) continue;
      const holder = liveOtherHolder(text);
      if (holder !== undefined) return { heldBy: holder };
      if (!removeStale(path, text, ours)) pause();
    }
  }
  throw new Error(`could not take the lock ${path}`);
}

/**
 * Removes the lock file at `path` if it still holds `text` (a dead holder's pid), and returns
 * whether this process did the removing (else another one is, and we wait a moment). Two
 * processes that both read the same stale text must not both remove: the second would remove
 * the first one's fresh lock and both would hold it. So the removal is itself locked, by a
 * file named after the stale text (`<path>.stale-<pid>`), linked exclusively like the lock: its
 * holder re-reads the lock file and removes it only if it is the stale one still. A remover
 * that died holding that file left a stale file of its own, removed the same way.
 */
function removeStale(path: string, text: string, ours: string): boolean {
  const guard = `${path}.stale-${/^\d+$/.test(text) ? text : "x"}`;
  try {
    linkSync(ours, guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const remover = readHolder(guard);
    if (remover === undefined) return false;
    if (liveOtherHolder(remover) === undefined) removeStale(guard, remover, ours);
    return false;
  }
  try {
    const stale = liveOtherHolder(text) === undefined;
    if (stale && readHolder(path) === text) rmSync(path, { force: true });
    return true;
  } finally {
    rmSync(guard, { force: true });
  }
}

/** The pid a lock file's `text` names, when that is a live process other than this one. */
function liveOtherHolder(text: string): number | undefined {
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid !== process.pid && isProcessAlive(pid) ? pid : undefined;
}

/** Waits a millisecond (synchronously) while another process removes a stale lock. */
function pause(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
}

/** The lock file's text; undefined when it is gone (released since our link saw it). */
function readHolder(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
