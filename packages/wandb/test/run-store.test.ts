import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TipiEvent } from "@tipi/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  listRuns,
  newRunId,
  RunStore,
  readHistory,
  readJsonl,
  redactSecrets,
  resolveRunDir,
} from "../src/index.ts";

let root: string;
const savedKey = process.env.WANDB_API_KEY;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "tipi-store-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  if (savedKey === undefined) delete process.env.WANDB_API_KEY;
  else process.env.WANDB_API_KEY = savedKey;
});

function readAll(dir: string): string {
  let text = "";
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += readFileSync(join(entry.parentPath, entry.name), "utf8");
  }
  return text;
}

describe("RunStore.create", () => {
  it("writes the documented layout under <root>/<pipeline>/<runId>", () => {
    const store = RunStore.create({
      root,
      pipeline: "mnist",
      config: { lr: 0.1 },
      meta: { argv: ["x"] },
    });
    expect(store.dir).toBe(join(root, "mnist", store.runId));
    expect(readdirSync(store.dir).sort()).toEqual([
      "checkpoints",
      "config.json",
      "meta.json",
      "status.json",
    ]);
    expect(JSON.parse(readFileSync(join(store.dir, "config.json"), "utf8"))).toEqual({ lr: 0.1 });
    const meta = JSON.parse(readFileSync(join(store.dir, "meta.json"), "utf8"));
    expect(meta).toMatchObject({
      runId: store.runId,
      pipeline: "mnist",
      argv: ["x"],
      pid: process.pid,
    });
    expect(JSON.parse(readFileSync(join(store.dir, "status.json"), "utf8")).status).toBe("running");
    expect(store.checkpointDir).toBe(join(store.dir, "checkpoints"));
  });

  it("uses exactly the directory given by `dir`, and refuses one that already holds a run", () => {
    const dir = join(root, "sweep", "trial-3");
    const store = RunStore.create({ root, pipeline: "p", dir, config: {} });
    expect(store.dir).toBe(dir);
    expect(store.runId).toBe("trial-3");
    expect(() => RunStore.create({ root, pipeline: "p", dir, config: {} })).toThrow(
      /already holds a run/,
    );
  });

  it("updateMeta merges into meta.json, redacted, keeping the keys the store owns", () => {
    const store = RunStore.create({ root, pipeline: "p", config: {}, meta: { seed: 7 } });
    const path = join(store.dir, "meta.json");
    const created = JSON.parse(readFileSync(path, "utf8"));
    store.updateMeta({ backend: { name: "wasm" }, runId: "other", apiKey: "k" });
    store.updateMeta({ backendSkipped: ["cpu"] });
    const meta = JSON.parse(readFileSync(path, "utf8"));
    expect(meta).toEqual({
      ...created,
      backend: { name: "wasm" },
      backendSkipped: ["cpu"],
      apiKey: redactSecrets({ apiKey: "k" }).apiKey,
    });
    expect(meta.apiKey).not.toBe("k");
    expect(meta.runId).toBe(store.runId);
    expect(readdirSync(store.dir).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("gives short, sortable, unique ids", () => {
    const ids = Array.from(
      { length: 40 },
      () => RunStore.create({ root, pipeline: "p", config: {} }).runId,
    );
    expect(new Set(ids).size).toBe(40);
    for (const id of ids) expect(id).toMatch(/^\d{8}-\d{6}-[0-9a-z]{4}$/);
    const earlier = newRunId(new Date("2026-01-01T00:00:00Z"));
    const later = newRunId(new Date("2026-01-01T00:00:01Z"));
    expect(earlier < later).toBe(true);
  });
});

describe("history and events", () => {
  it("stores metric events as history rows and every event in events.jsonl", () => {
    const store = RunStore.create({ root, pipeline: "p", config: {} });
    const listen = store.listener();
    const events: TipiEvent[] = [
      { type: "run:start", runId: store.runId, pipeline: "p", steps: ["train"] },
      { type: "metric", values: { loss: 1.5 }, step: 1, epoch: 0 },
      { type: "metric", values: { loss: 0.5, acc: 0.8 }, step: 2, epoch: 0 },
      { type: "run:end", runId: store.runId, ok: true, durationMs: 5 },
    ];
    for (const event of events) listen(event);
    const history = readHistory(store.dir);
    expect(history.map((row) => [row._index, row.step, row.values])).toEqual([
      [0, 1, { loss: 1.5 }],
      [1, 2, { loss: 0.5, acc: 0.8 }],
    ]);
    const stored = readJsonl<TipiEvent>(join(store.dir, "events.jsonl"));
    expect(stored.map((e) => e.type)).toEqual(["run:start", "metric", "metric", "run:end"]);
    expect(JSON.parse(readFileSync(join(store.dir, "status.json"), "utf8")).status).toBe(
      "finished",
    );
    expect(JSON.parse(readFileSync(join(store.dir, "summary.json"), "utf8"))).toEqual({
      loss: 0.5,
      acc: 0.8,
    });
  });

  it("marks cancelled runs interrupted and others failed", () => {
    const a = RunStore.create({ root, pipeline: "p", config: {} });
    a.listener()({
      type: "run:end",
      runId: a.runId,
      ok: false,
      durationMs: 1,
      error: { kind: "cancelled", step: "s", message: "Ctrl-C", reason: "SIGINT" },
    });
    const b = RunStore.create({ root, pipeline: "p", config: {} });
    b.listener()({
      type: "run:end",
      runId: b.runId,
      ok: false,
      durationMs: 1,
      error: { kind: "step-failed", step: "s", message: "boom", cause: new Error("boom") },
    });
    expect(
      listRuns(root)
        .map((r) => r.status)
        .sort(),
    ).toEqual(["failed", "interrupted"]);
    const failed = readJsonl<{ error: { cause: { message: string } } }>(
      join(b.dir, "events.jsonl"),
    );
    expect(failed[0]?.error.cause.message).toBe("boom");
  });

  it("explicit summary values win over last metric values and survive reopening", () => {
    const store = RunStore.create({ root, pipeline: "p", config: {} });
    store.appendHistory({ values: { acc: 0.5 } });
    store.writeSummary({ best_acc: 0.9, confusion: "media/cm.json" });
    store.appendHistory({ values: { acc: 0.7 } });
    store.setStatus("finished");
    expect(JSON.parse(readFileSync(join(store.dir, "summary.json"), "utf8"))).toEqual({
      acc: 0.7,
      best_acc: 0.9,
      confusion: "media/cm.json",
    });
    const reopened = RunStore.open(store.dir);
    expect(reopened.historyLength).toBe(2);
    expect(reopened.summary()).toEqual({ acc: 0.7, best_acc: 0.9, confusion: "media/cm.json" });
  });

  it("thins progress events to the first, the last and one per second per bar", () => {
    const store = RunStore.create({ root, pipeline: "p", config: {} });
    for (let i = 0; i < 1000; i++)
      store.appendEvent({ type: "progress", id: "b", label: "batch", current: i, total: 1000 });
    store.appendEvent({
      type: "progress",
      id: "b",
      label: "batch",
      current: 1000,
      total: 1000,
      done: true,
    });
    const stored = readJsonl<{ current: number }>(join(store.dir, "events.jsonl"));
    expect(stored.length).toBeLessThanOrEqual(4);
    expect(stored[0]?.current).toBe(0);
    expect(stored.at(-1)?.current).toBe(1000);
  });
});

describe("crash tolerance", () => {
  it("readers ignore a torn last line, and reopening cuts it before appending", () => {
    const store = RunStore.create({ root, pipeline: "p", config: {} });
    store.appendHistory({ step: 0, values: { loss: 1 } });
    store.appendHistory({ step: 1, values: { loss: 0.9 } });
    store.close();
    const path = join(store.dir, "history.jsonl");
    appendFileSync(path, '{"_index":2,"step":2,"val'); // a crash mid-write
    expect(readHistory(store.dir).map((r) => r.step)).toEqual([0, 1]);
    const resumed = RunStore.open(store.dir);
    expect(resumed.historyLength).toBe(2);
    resumed.appendHistory({ step: 2, values: { loss: 0.8 } });
    expect(readHistory(store.dir).map((r) => [r._index, r.step])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
  });

  it("a corrupt line in the middle is an error, not silently dropped", () => {
    const path = join(root, "h.jsonl");
    writeFileSync(path, '{"a":1}\nnot json\n{"a":2}\n');
    expect(() => readJsonl(path)).toThrow(/h.jsonl:2/);
  });

  it("a killed writer process loses at most the line being written", async () => {
    const { spawn } = await import("node:child_process");
    const store = RunStore.create({ root, pipeline: "p", config: {} });
    store.close();
    const script = `
      const { RunStore } = await import(${JSON.stringify(new URL("../src/index.ts", import.meta.url).href)});
      const s = RunStore.open(${JSON.stringify(store.dir)});
      for (let i = 0; ; i++) { s.appendHistory({ step: i, values: { loss: 1 / (i + 1) } }); if (i === 50) process.stdout.write("go\\n"); }
    `;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    await new Promise<void>((done) => child.stdout.once("data", () => done()));
    child.kill("SIGKILL");
    await new Promise((done) => child.once("exit", done));
    const rows = readHistory(store.dir);
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.map((row) => row.step)).toEqual(rows.map((_, i) => i));
  });
});

describe("redactSecrets", () => {
  it("redacts secret-named keys at any depth and WANDB_API_KEY's value in any string", () => {
    process.env.WANDB_API_KEY = "local-0123456789abcdef0123456789abcdef01234567";
    const value = {
      apiKey: "abc",
      nested: { db_password: "hunter2", AUTH_TOKEN: ["x"], max_tokens: 128, keep: "ok" },
      url: `https://api:${process.env.WANDB_API_KEY}@host`,
      list: [{ secret: "s" }],
      err: new Error(`bad key ${process.env.WANDB_API_KEY}`),
    };
    const out = redactSecrets(value) as unknown as Record<string, unknown>;
    expect(out).toMatchObject({
      apiKey: "[REDACTED]",
      nested: { db_password: "[REDACTED]", AUTH_TOKEN: "[REDACTED]", max_tokens: 128, keep: "ok" },
      url: "https://api:[REDACTED]@host",
      list: [{ secret: "[REDACTED]" }],
      err: { name: "Error", message: "bad key [REDACTED]" },
    });
    expect(JSON.stringify(out)).not.toContain(process.env.WANDB_API_KEY);
  });

  it("no file of a run ever contains the key", () => {
    const key = "local-fedcba9876543210fedcba9876543210fedcba98";
    process.env.WANDB_API_KEY = key;
    const store = RunStore.create({
      root,
      pipeline: "p",
      config: { wandb: { api_key: key }, note: `key=${key}` },
      meta: { argv: ["--wandb.api_key", key] },
    });
    const listen = store.listener();
    listen({ type: "log", level: "error", message: `auth failed for ${key}` });
    listen({
      type: "step:error",
      step: "s",
      error: { kind: "step-failed", step: "s", message: key, cause: new Error(key) },
    });
    store.writeSummary({ token: key });
    store.setStatus("failed");
    expect(readAll(store.dir)).not.toContain(key);
    expect(readAll(store.dir)).toContain("[REDACTED]");
  });
});

describe("listRuns / resolveRunDir", () => {
  it("finds runs by last, id, unique prefix and path", () => {
    const a = RunStore.create({
      root,
      pipeline: "mnist",
      runId: "20260101-000000-aaaa",
      config: {},
    });
    const b = RunStore.create({
      root,
      pipeline: "mnist",
      runId: "20260101-000001-bbbb",
      config: {},
    });
    const c = RunStore.create({
      root,
      pipeline: "cifar",
      runId: "20260101-000002-cccc",
      config: {},
    });
    expect(listRuns(root).map((r) => r.runId)).toEqual([a.runId, b.runId, c.runId]);
    expect(resolveRunDir(root, "mnist", "last")).toBe(b.dir);
    expect(resolveRunDir(root, undefined, "last")).toBe(c.dir);
    expect(resolveRunDir(root, "mnist", a.runId)).toBe(a.dir);
    expect(resolveRunDir(root, "mnist", "20260101-000001")).toBe(b.dir);
    expect(resolveRunDir(root, "mnist", "20260101")).toBeUndefined(); // ambiguous
    expect(resolveRunDir(root, "mnist", "nope")).toBeUndefined();
    expect(resolveRunDir(root, undefined, c.dir)).toBe(c.dir);
  });
});
