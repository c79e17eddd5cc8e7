/**
 * A lock file holding its owner's pid, created exclusively: one holder at a time, and a lock
 * left by a dead process is taken over. Used for a run's sync (`wandb-sync.lock`) and a
 * sweep directory's controller (`sweep.lock`).
 */
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";

/** Locks this process holds (its own pid in a lock file says nothing about which call). */
const held = new Set<string>();

/** The lock is ours until `release()`; or a live process (`heldBy`, its pid) has it. */
export type PidLock = { readonly release: () => void } | { readonly heldBy: number };

/**
 * Takes the lock file at `path`. The pid is written to a file of our own first and linked into
 * place, so the lock file never exists without its pid (a contender reading a half-written lock
 * would take it for stale). A file naming a dead process (or no pid) is removed and
 * tried again; one that vanished before it could be read (released meanwhile) is tried again.
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
  for (let attempt = 0; attempt < 10; attempt++) {
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
      const holder = Number.parseInt(text, 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder))
        return { heldBy: holder };
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
