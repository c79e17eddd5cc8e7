/** `<sweepDir>/sweep.lock`: one controller per sweep directory; a killed one's lock is taken over. */
import { join } from "node:path";
import { acquirePidLock } from "../../lock/pid-lock.ts";
import { SweepDirectoryError } from "../config/errors.ts";

/**
 * Takes the sweep directory's lock and returns its release function.
 * @throws SweepDirectoryError when a live process holds it.
 */
export function lockSweepDir(sweepDir: string): () => void {
  const lock = acquirePidLock(join(sweepDir, "sweep.lock"));
  if ("heldBy" in lock) {
    throw new SweepDirectoryError(
      `${sweepDir} is in use by another sweep controller (pid ${lock.heldBy})`,
    );
  }
  return lock.release;
}
