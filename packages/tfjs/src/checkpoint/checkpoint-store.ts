import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-write.ts";
import { type CheckpointData, decodeCheckpoint, encodeCheckpoint } from "./checkpoint-file.ts";

/** Options of a {@link CheckpointStore}. */
export interface CheckpointStoreOptions {
  /** How many checkpoints to keep (oldest removed first). Default 3. */
  readonly keep?: number;
}

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

  /** Checkpoint files, newest first. */
  list(): { step: number; path: string }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .flatMap((name) => {
        const m = FILE.exec(name);
        return m ? [{ step: Number(m[1]), path: join(this.dir, name) }] : [];
      })
      .sort((a, b) => b.step - a.step);
  }

  /** The newest checkpoint that reads back intact, or undefined when there is none. */
  latest(): (CheckpointData & { path: string }) | undefined {
    for (const entry of this.list()) {
      try {
        return { ...decodeCheckpoint(readFileSync(entry.path)), path: entry.path };
      } catch {
        // A damaged file (disk error, copied mid-write) is skipped in favour of an older one.
      }
    }
    return undefined;
  }
}
