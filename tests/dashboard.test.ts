// `tipi ui`: the dashboard server over real HTTP on 127.0.0.1 — pages from the run files, the
// server-sent events that follow a growing history.jsonl, and the command's start and stop.
// (The pages are checked in a real browser in dashboard-browser.test.ts.)
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { followRun, type RunUpdate } from "../packages/cli/src/dashboard/follow-run.ts";
import { type Dashboard, startDashboard } from "../packages/cli/src/dashboard/server.ts";
import { BIN, REPO, tipi } from "./fixtures/cli/run-tipi.ts";
import { writeFinishedRun, writeSweep } from "./report-fixtures.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-dashboard-"));
const root = join(scratch, "runs");
const finished = writeFinishedRun(root);
const live = writeFinishedRun(root, { runId: "20261202-060606-live" });
writeSweep(join(root, "sweeps", "demo-lr"));
let dashboard: Dashboard;

beforeAll(async () => {
  dashboard = await startDashboard({ root, port: 0 });
});
afterAll(async () => {
  await dashboard?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const rel = (dir: string) => encodeURIComponent(relative(root, dir));

function get(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
    const req = request(new URL(path, dashboard.url), { headers }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, type: String(res.headers["content-type"]) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("pages", () => {
  test("listens on 127.0.0.1 by default", () => {
    expect(dashboard.host).toBe("127.0.0.1");
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  test("the index lists runs and sweeps; a run page is the report with its events URL", async () => {
    const index = await get("/");
    expect(index.status).toBe(200);
    expect(index.body).toContain("20261202-010101-abcd");
    expect(index.body).toContain("sweep lr");
    const run = await get(`/run?dir=${rel(finished.dir)}`);
    expect(run.status).toBe(200);
    expect(run.body).toContain(
      `data-metric="test/accuracy" data-value="${finished.summary["test/accuracy"]}"`,
    );
    expect(run.body).toContain("connect-src 'self'");
    expect(run.body).toContain('"live":{"events":"/events?dir=demo%2F20261202-010101-abcd"}');
    const api = JSON.parse((await get("/api/runs")).body) as { runs: unknown[]; sweeps: string[] };
    expect(api.runs).toHaveLength(2);
    expect(api.sweeps).toEqual(["sweeps/demo-lr"]);
  });

  test("a sweep links its trials; compare puts runs side by side", async () => {
    const sweep = await get(`/sweep?dir=${encodeURIComponent("sweeps/demo-lr")}`);
    expect(sweep.body).toContain('href="/run?dir=sweeps%2Fdemo-lr%2Ftrials%2Ftrial-0002"');
    const compare = await get(`/compare?dir=${rel(finished.dir)}&dir=${rel(live.dir)}`);
    expect(compare.status).toBe(200);
    expect(compare.body).toContain('id="compare-metrics"');
  });

  test("nothing outside the runs directory, no foreign Host, GET only", async () => {
    expect((await get("/run?dir=..%2F..%2Fetc")).status).toBe(403);
    symlinkSync("/etc", join(root, "escape"));
    expect((await get("/run?dir=escape")).status).toBe(403);
    rmSync(join(root, "escape"));
    expect((await get("/run?dir=demo")).status).toBe(404);
    expect((await get("/nope")).status).toBe(404);
    expect((await get("/", { host: "attacker.example" })).status).toBe(421);
  });
});

describe("server-sent events", () => {
  test("a row appended to history.jsonl arrives within 2 s; a status change too", async () => {
    const run = await get(`/run?dir=${rel(live.dir)}`);
    const data = JSON.parse(
      /<script type="application\/json" id="tipi-data">(.*?)<\/script>/s.exec(run.body)?.[1] ??
        "{}",
    ) as { historyBytes: number; history: unknown[] };
    const events: { event: string; data: string; at: number }[] = [];
    const req = request(
      new URL(
        `/events?dir=${rel(live.dir)}&from=${data.historyBytes}&index=${data.history.length}`,
        dashboard.url,
      ),
    );
    const connected = new Promise<void>((resolve) => {
      req.on("response", (res) => {
        let buffer = "";
        res.on("data", (chunk: Buffer) => {
          buffer += chunk.toString();
          let end = buffer.indexOf("\n\n");
          while (end !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const payload = /^data: (.*)$/m.exec(block)?.[1];
            if (event && payload) events.push({ event, data: payload, at: Date.now() });
            end = buffer.indexOf("\n\n");
          }
        });
        resolve();
      });
    });
    req.end();
    await connected;
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual([]);
    const appendedAt = Date.now();
    appendFileSync(
      join(live.dir, "history.jsonl"),
      `${JSON.stringify({ _index: 16, step: 13, epoch: 3, time: appendedAt, values: { "train/loss": 0.05 } })}\n`,
    );
    const deadline = Date.now() + 2000;
    while (!events.some((e) => e.event === "history") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const history = events.find((e) => e.event === "history");
    expect(history, "no history event within 2 s").toBeDefined();
    expect(JSON.parse(history!.data)).toEqual([
      { index: 16, step: 13, epoch: 3, time: appendedAt, values: { "train/loss": 0.05 } },
    ]);
    writeFileSync(
      join(live.dir, "status.json"),
      JSON.stringify({ status: "failed", updatedAt: new Date().toISOString(), pid: 1 }),
    );
    const statusDeadline = Date.now() + 2000;
    while (!events.some((e) => e.event === "status") && Date.now() < statusDeadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(JSON.parse(events.find((e) => e.event === "status")?.data ?? "{}")).toMatchObject({
      status: "failed",
    });
    req.destroy();
  });
});

describe("following a run without fs.watch", () => {
  test("the poll alone delivers appended rows, whole lines only", async () => {
    const dir = writeFinishedRun(join(scratch, "poll"), { runId: "20261202-101010-poll" }).dir;
    const file = join(dir, "history.jsonl");
    const { size } = statSync(file);
    const updates: RunUpdate[] = [];
    const stop = followRun(dir, { from: size, index: 16, watch: false, pollMs: 100 }, (u) =>
      updates.push(u),
    );
    appendFileSync(file, '{"_index":16,"step":20,"values":{"train/loss":0.3}}\n{"_index":17,"st');
    const started = Date.now();
    while (updates.length === 0 && Date.now() - started < 2000)
      await new Promise((r) => setTimeout(r, 10));
    expect(updates).toEqual([
      { history: [{ index: 16, step: 20, values: { "train/loss": 0.3 } }] },
    ]);
    appendFileSync(file, 'ep":21,"values":{"train/loss":0.2}}\n');
    while (updates.length === 1 && Date.now() - started < 4000)
      await new Promise((r) => setTimeout(r, 10));
    stop();
    expect(updates[1]).toEqual({
      history: [{ index: 17, step: 21, values: { "train/loss": 0.2 } }],
    });
  });
});

describe("tipi ui", () => {
  test("prints its 127.0.0.1 URL, serves, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [BIN, "ui", "--runs", root, "--port", "0"], {
      cwd: REPO,
      env: { ...process.env, CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 15_000);
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[0]);
        }
      });
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("20261202-010101-abcd");
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  test("--host another address is taken only when asked, with a warning", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "ui", "--runs", root, "--port", "0", "--host", "0.0.0.0"],
      {
        cwd: REPO,
        env: { ...process.env, CI: "true" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}${err}`)), 15_000);
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (/http:\/\/0\.0\.0\.0:\d+\//.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(err).toContain("listening on 0.0.0.0: other machines that reach it can read these runs");
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });

  test("a port in use exits 2 and says so", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    const r = await tipi(["ui", "--runs", root, "--port", String(port)]);
    blocker.close();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
  });
});
