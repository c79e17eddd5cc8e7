import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

const LOCK_FILE = "wandb-sync.lock";
/** Locks this process holds (its own pid in a lock file says nothing about which call). */
const held = new Set<string>();

/**
 * Takes the run directory's sync lock (`wandb-sync.lock`, created exclusively), so two syncs
 * of one run never upload the same rows at once. A lock left by a dead process is taken
 * over. Returns a release function, or the pid of the live holder.
 */
export function acquireSyncLock(runDir: string): { release: () => void } | { heldBy: number } {
  const path = join(runDir, LOCK_FILE);
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
      const holder = Number.parseInt(readFileSafe(path), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder))
        return { heldBy: holder };
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the sync lock ${path}`);
}

function readFileSafe(path: string): string {
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
