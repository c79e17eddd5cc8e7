// A run directory that cannot be written fails loudly: every write names its file and the reason.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunStore, RunStoreWriteError } from "../src/index.ts";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "tipi-store-errors-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("RunStore write failures", () => {
  it.skipIf(!existsSync("/dev/full"))(
    "a full disk under history.jsonl throws ENOSPC naming the file; status.json is still written",
    () => {
      const store = RunStore.create({ root, pipeline: "p", config: {} });
      const history = join(store.dir, "history.jsonl");
      symlinkSync("/dev/full", history);
      const error = thrown(() => store.appendHistory({ values: { loss: 1 } }));
      expect(error).toBeInstanceOf(RunStoreWriteError);
      expect((error as RunStoreWriteError).code).toBe("ENOSPC");
      expect((error as RunStoreWriteError).path).toBe(history);
      expect((error as Error).message).toBe(
        `cannot write ${history}: no space left on the device (ENOSPC)`,
      );
      expect((error as RunStoreWriteError).hint).toContain("free some space");
      // syncing the broken log fails, but the status is recorded first
      expect(() => store.setStatus("failed", { error: "disk full" })).toThrow(RunStoreWriteError);
      const status = JSON.parse(readFileSync(join(store.dir, "status.json"), "utf8"));
      expect(status).toMatchObject({ status: "failed", error: "disk full" });
    },
  );

  it("a directory in place of summary.json: the atomic write fails and leaves no temp file", () => {
    const store = RunStore.create({ root, pipeline: "p", config: {} });
    mkdirSync(join(store.dir, "summary.json", "x"), { recursive: true });
    const error = thrown(() => store.writeSummary({ a: 1 }));
    expect(error).toBeInstanceOf(RunStoreWriteError);
    expect((error as Error).message).toMatch(/^cannot write .*summary\.json: /);
    expect(readdirSync(store.dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a file in the way of the runs root names the directory it could not create", () => {
    const file = join(root, "file");
    RunStore.create({ root, pipeline: "file", config: {} }).close();
    rmSync(join(root, "file"), { recursive: true });
    symlinkSync("/dev/null", file);
    const error = thrown(() => RunStore.create({ root: file, pipeline: "p", config: {} }));
    expect(error).toBeInstanceOf(RunStoreWriteError);
    expect((error as RunStoreWriteError).code).toBe("ENOTDIR");
    expect((error as Error).message).toBe(
      `cannot create ${file}/p: a file is in the way of a directory on that path (ENOTDIR)`,
    );
  });
});
