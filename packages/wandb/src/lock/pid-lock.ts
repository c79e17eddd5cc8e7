/**
 * A lock file holding its owner's pid, created exclusively: one holder at a time, and a lock
 * left by a dead process is taken over. Used for a run's sync (`wandb-sync.lock`) and a
 * sweep directory's controller (`sweep.lock`).
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";

/** Locks this process holds (its own pid in a lock file says nothing about which call). */
const held = new Set<string>();

/** The lock is ours until `release()`; or a live process (`heldBy`, its pid) has it. */
export type PidLock = { readonly release: () => void } | { readonly heldBy: number };

/**
 * Takes the lock file at `path`. A file naming a dead process, or naming nothing readable
 * (its holder released it between our attempt and the read), is removed and tried once more.
 * @throws Error when the file system refuses the lock file (other than "it exists"), or when
 * the second attempt loses to another process too.
 */
export function acquirePidLock(path: string): PidLock {
  if (held.has(path)) return { heldBy: process.pid };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(path);
      return {
        release: () => {
          held.delete(path);
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt(readHolder(path), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder))
        return { heldBy: holder };
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}

/** The lock file's text; "" when it is gone already (released since `openSync` saw it). */
function readHolder(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
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
