import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { acquirePidLock } from "../src/lock/pid-lock.ts";
import { lockSweepDir } from "../src/sweep/controller/sweep-lock.ts";
import { useTempDirs } from "./temp-dirs.ts";

// The lock's reads of the lock file go through this hook, so a test can make its holder
// release it at the worst moment: after `openSync(…, "wx")` failed with EEXIST, before the read.
const hooks = vi.hoisted(() => ({ beforeRead: undefined as ((path: string) => void) | undefined }));
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const readFileSync = ((...args: Parameters<typeof real.readFileSync>) => {
    if (typeof args[0] === "string") hooks.beforeRead?.(args[0]);
    return real.readFileSync(...args);
  }) as typeof real.readFileSync;
  return { ...real, readFileSync, default: { ...real, readFileSync } };
});

const children: ChildProcess[] = [];
afterEach(() => {
  hooks.beforeRead = undefined;
  for (const child of children.splice(0)) child.kill("SIGKILL");
});
const tempDir = useTempDirs("tipi-pid-lock-");

/** A live process that is not this one: it holds whatever lock file names its pid. */
async function liveProcess(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  children.push(child);
  await new Promise((resolve) => child.once("spawn", resolve));
  return child as ChildProcess & { pid: number };
}

/** A lock file written by `holder`, who releases it right after our `openSync` saw it. */
function releasedBeforeTheRead(path: string, holder: number): void {
  fs.writeFileSync(path, String(holder));
  hooks.beforeRead = (read) => {
    if (read !== path) return;
    hooks.beforeRead = undefined;
    fs.rmSync(path);
  };
}

describe("acquirePidLock", () => {
  it("writes this process's pid, refuses a second hold in the same process, and releases", () => {
    const path = join(tempDir(), "x.lock");
    const lock = acquirePidLock(path);
    if (!("release" in lock)) throw new Error("the lock was free");
    expect(fs.readFileSync(path, "utf8")).toBe(String(process.pid));
    expect(acquirePidLock(path)).toEqual({ heldBy: process.pid });
    lock.release();
    expect(fs.existsSync(path)).toBe(false);
    const again = acquirePidLock(path);
    expect("release" in again).toBe(true);
    if ("release" in again) again.release();
  });

  it("names the live process that holds it, and takes the lock over once that process is dead", async () => {
    const path = join(tempDir(), "x.lock");
    const holder = await liveProcess();
    fs.writeFileSync(path, String(holder.pid));
    expect(acquirePidLock(path)).toEqual({ heldBy: holder.pid });
    const exited = new Promise((resolve) => holder.once("exit", resolve));
    holder.kill("SIGKILL");
    await exited;
    const lock = acquirePidLock(path);
    expect("release" in lock).toBe(true);
    expect(fs.readFileSync(path, "utf8")).toBe(String(process.pid));
    if ("release" in lock) lock.release();
  });

  it("takes the lock when its live holder releases it between our attempt and the read (no ENOENT)", async () => {
    const path = join(tempDir(), "x.lock");
    const holder = await liveProcess();
    releasedBeforeTheRead(path, holder.pid);
    const lock = acquirePidLock(path);
    expect(hooks.beforeRead).toBeUndefined(); // the release did happen in that window
    expect("release" in lock).toBe(true);
    expect(fs.readFileSync(path, "utf8")).toBe(String(process.pid));
    if ("release" in lock) lock.release();
  });

  it("is held by one process at a time when four processes race for it (the file never exists without its pid)", async () => {
    const dir = tempDir();
    const lockPath = join(dir, "x.lock");
    const module = fileURLToPath(new URL("../src/lock/pid-lock.ts", import.meta.url));
    // Each racer marks its hold with an exclusive file: a second holder at the same time fails to.
    const racer = `
      const fs = await import("node:fs");
      const { acquirePidLock } = await import(${JSON.stringify(module)});
      const path = ${JSON.stringify(lockPath)};
      let doubles = 0, held = 0;
      for (const end = Date.now() + 1500; Date.now() < end; ) {
        const lock = acquirePidLock(path);
        if (!("release" in lock)) continue;
        held++;
        try { fs.closeSync(fs.openSync(path + ".holder", "wx")); } catch { doubles++; lock.release(); continue; }
        fs.rmSync(path + ".holder");
        lock.release();
      }
      console.log(JSON.stringify({ doubles, held }));`;
    const results = (await Promise.all([0, 1, 2, 3].map(() => runRacer(racer)))) as {
      doubles: number;
      held: number;
    }[];
    expect(results.map((r) => r.doubles)).toEqual([0, 0, 0, 0]);
    expect(results.every((r) => r.held > 0)).toBe(true);
  });

  it("takes a stale lock over even when a process died removing it (its guard file is stale too)", async () => {
    const path = join(tempDir(), "x.lock");
    const dead = await deadPid();
    fs.writeFileSync(path, String(dead));
    fs.writeFileSync(`${path}.stale-${dead}`, String(await deadPid()));
    const lock = acquirePidLock(path);
    expect("release" in lock).toBe(true);
    expect(fs.readFileSync(path, "utf8")).toBe(String(process.pid));
    expect(fs.readdirSync(join(path, "..")).sort()).toEqual(["x.lock"]);
    if ("release" in lock) lock.release();
  });

  it("a stale lock (dead holder) is taken over by one of four processes racing for it, never two", async () => {
    const dir = tempDir();
    const rounds = 40;
    const dead = await deadPid();
    for (let round = 0; round < rounds; round++)
      fs.writeFileSync(join(dir, `${round}.lock`), String(dead));
    const module = fileURLToPath(new URL("../src/lock/pid-lock.ts", import.meta.url));
    // Every racer tries each round's stale lock at the same moment and keeps what it wins.
    const start = Date.now() + 1500;
    const racer = `
      const { acquirePidLock } = await import(${JSON.stringify(module)});
      const won = [];
      for (let round = 0; round < ${rounds}; round++) {
        while (Date.now() < ${start} + round * 20);
        const lock = acquirePidLock(${JSON.stringify(dir)} + "/" + round + ".lock");
        if ("release" in lock) won.push(round);
      }
      console.log(JSON.stringify(won));`;
    const wins = (await Promise.all([0, 1, 2, 3].map(() => runRacer(racer)))) as number[][];
    const winners = Array.from({ length: rounds }, (_, round) =>
      wins.filter((won) => won.includes(round)),
    );
    expect(winners.map((w) => w.length)).toEqual(Array(rounds).fill(1));
  });
});

/** The pid of a process that has exited (a lock naming it is stale). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid as number;
}

/** Runs `script` (an ES module, with tsx) in its own process; resolves with its JSON output. */
function runRacer(script: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    children.push(child);
    let out = "";
    child.stdout?.on("data", (chunk) => {
      out += chunk;
    });
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`racer exited ${code}`)),
    );
  });
}

describe("lockSweepDir", () => {
  it("is the same lock: a live holder is refused by pid, and a release in the race window is no ENOENT", async () => {
    const sweepDir = tempDir();
    const holder = await liveProcess();
    fs.writeFileSync(join(sweepDir, "sweep.lock"), String(holder.pid));
    expect(() => lockSweepDir(sweepDir)).toThrow(
      `${sweepDir} is in use by another sweep controller (pid ${holder.pid})`,
    );
    releasedBeforeTheRead(join(sweepDir, "sweep.lock"), holder.pid);
    const unlock = lockSweepDir(sweepDir);
    expect(hooks.beforeRead).toBeUndefined();
    expect(fs.readFileSync(join(sweepDir, "sweep.lock"), "utf8")).toBe(String(process.pid));
    unlock();
    expect(fs.existsSync(join(sweepDir, "sweep.lock"))).toBe(false);
  });
});
