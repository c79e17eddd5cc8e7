import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { messageOf } from "@tipi/core";
import { writeFileAtomic } from "./atomic-write.ts";
import { type CheckpointData, decodeCheckpoint, encodeCheckpoint } from "./checkpoint-file.ts";

/** Options of a {@link CheckpointStore}. */
export interface CheckpointStoreOptions {
  /** How many checkpoints to keep (oldest removed first). Default 3. */
  readonly keep?: number;
}

/** A checkpoint file {@link CheckpointStore.latest} could not read, and why. */
export interface SkippedCheckpoint {
  readonly path: string;
  readonly reason: string;
}

/** The checkpoint {@link CheckpointStore.latest} resumes from, and the newer ones it skipped. */
export type LatestCheckpoint = CheckpointData & {
  readonly path: string;
  readonly skipped: readonly SkippedCheckpoint[];
};

const FILE = /^step-(\d{12})\.ckpt$/;

/**
 * A directory of checkpoints `step-<000000000042>.ckpt`, each written atomically; the newest
 * readable one is the resume point, older ones beyond `keep` are deleted.
 */
export class CheckpointStore {
  readonly dir: string;
  readonly keep: number;

  constructor(dir: string, options: CheckpointStoreOptions = {}) {
    this.dir = dir;
    this.keep = Math.max(1, options.keep ?? 3);
  }

  /** Writes `data` as the checkpoint of `data.step`, then prunes; returns the file path. */
  save(data: CheckpointData): string {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, `step-${String(data.step).padStart(12, "0")}.ckpt`);
    writeFileAtomic(path, encodeCheckpoint(data));
    for (const old of this.list().slice(this.keep)) rmSync(old.path, { force: true });
    return path;
  }

  /**
   * Checkpoint files, newest first; none when the directory does not exist. A directory that
   * exists but cannot be read (permissions, not a directory) throws: resuming must not quietly
   * start over.
   */
  list(): { step: number; path: string }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new Error(
        `cannot read the checkpoint directory ${this.dir}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return names
      .flatMap((name) => {
        const m = FILE.exec(name);
        return m ? [{ step: Number(m[1]), path: join(this.dir, name) }] : [];
      })
      .sort((a, b) => b.step - a.step);
  }

  /**
   * The newest checkpoint that reads back intact, or undefined when there is none. Damaged
   * newer files (disk error, copied mid-write, edited) are skipped in favour of older ones and
   * listed in `skipped`, for the caller to report.
   */
  latest(): LatestCheckpoint | undefined {
    const skipped: SkippedCheckpoint[] = [];
    for (const entry of this.list()) {
      try {
        return { ...decodeCheckpoint(readFileSync(entry.path)), path: entry.path, skipped };
      } catch (error) {
        skipped.push({
          path: entry.path,
          reason: messageOf(error),
        });
      }
    }
    if (skipped.length > 0) {
      const names = skipped.map((s) => `${basename(s.path)} (${s.reason})`).join(", ");
      throw new Error(`no readable checkpoint in ${this.dir}: ${names}`);
    }
    return undefined;
  }
}
