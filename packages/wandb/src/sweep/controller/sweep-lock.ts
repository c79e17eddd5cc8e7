/** `<sweepDir>/sweep.lock`: one controller per sweep directory; a killed one's lock is taken over. */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { SweepDirectoryError } from "../config/errors.ts";

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * Takes the sweep directory's lock and returns its release function.
 * @throws Error when a live process holds it.
 */
export function lockSweepDir(sweepDir: string): () => void {
  const file = join(sweepDir, "sweep.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt(readFileSync(file, "utf8"), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new SweepDirectoryError(
          `${sweepDir} is in use by another sweep controller (pid ${holder})`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot lock ${sweepDir}`);
}
