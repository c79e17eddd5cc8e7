// `tipi ui` in a real headless Chromium: the run list, comparing two runs on the same axes, a
// sweep linking its trials, and a running run's page drawing a new point within 2 s of the row
// being appended to history.jsonl — with no console error and no request off 127.0.0.1.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Dashboard, startDashboard } from "../packages/cli/src/dashboard/server.ts";
import {
  countColoredPixels,
  countSaturatedPixels,
  launchChromium,
  openPage,
  saveScreenshot,
  whenReady,
} from "./report-chromium.ts";
import { writeFinishedRun, writeSweep } from "./report-fixtures.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-dashboard-browser-"));
const root = join(scratch, "runs");
const a = writeFinishedRun(root, { runId: "20261202-070707-aaaa", lr: 0.01 });
const b = writeFinishedRun(root, {
  runId: "20261202-080808-bbbb",
  lr: 0.03,
  seed: 8,
  testAccuracy: 0.8456,
});
const live = writeFinishedRun(root, { runId: "20261202-090909-live", lr: 0.02 });
writeSweep(join(root, "sweeps", "demo-lr"));
let browser: Browser;
let dashboard: Dashboard;

beforeAll(async () => {
  [browser, dashboard] = await Promise.all([launchChromium(), startDashboard({ root, port: 0 })]);
}, 300_000);
afterAll(async () => {
  await Promise.all([browser?.close(), dashboard?.close()]);
  rmSync(scratch, { recursive: true, force: true });
});

describe("the dashboard in Chromium", () => {
  test("lists the runs; two selected runs compare on the same axes", async () => {
    const { page, log } = await openPage(browser);
    await page.goto(dashboard.url);
    await whenReady(page);
    expect(await page.locator("#runs tbody tr").count()).toBe(3);
    await saveScreenshot(page, "ui-runs");
    // A run that starts while the list is open appears in it (the page reloads by itself).
    const started = writeFinishedRun(root, { runId: "20261202-091000-news" });
    await expect.poll(() => page.locator("#runs tbody tr").count(), { timeout: 4000 }).toBe(4);
    rmSync(started.dir, { recursive: true, force: true });
    await expect.poll(() => page.locator("#runs tbody tr").count(), { timeout: 4000 }).toBe(3);
    await whenReady(page);
    await page.check(`input[value="${relative(root, a.dir)}"]`);
    await page.check(`input[value="${relative(root, b.dir)}"]`);
    await Promise.all([page.waitForURL(/\/compare\?/), page.click("#compare-form button")]);
    await whenReady(page);
    const row = page.locator('#compare-metrics tr[data-metric="test/accuracy"] td');
    expect(
      (await row.evaluateAll((cells) => cells.map((c) => c.getAttribute("data-value")))).map(
        Number,
      ),
    ).toEqual([a.summary["test/accuracy"], b.summary["test/accuracy"]]);
    expect(await page.locator('#compare-config tr[data-key="pipeline.seed"]').count()).toBe(1);
    // One chart per metric, both runs on it: run A in the first colour, run B in the second.
    const chart = '.chart[data-chart="train/loss"] canvas';
    expect(await countColoredPixels(page, chart, "#2563eb")).toBeGreaterThan(100);
    expect(await countColoredPixels(page, chart, "#dc2626")).toBeGreaterThan(100);
    await saveScreenshot(page, "ui-compare");
    // The x axis switches to epochs here too (the same switch as a run's page); both runs redrawn.
    await page.click('.xmode button[data-x="epoch"]');
    expect(await page.getAttribute('.xmode button[data-x="epoch"]', "class")).toBe("on");
    expect(await page.getAttribute('.xmode button[data-x="step"]', "class")).toBe("");
    expect(await countColoredPixels(page, chart, "#dc2626")).toBeGreaterThan(100);
    expect(log.errors).toEqual([]);
    expect(log.offMachine).toEqual([]);
    await page.close();
  });

  test("a sweep page links each trial to its run page", async () => {
    const { page, log } = await openPage(browser);
    await page.goto(`${dashboard.url}sweep?dir=sweeps%2Fdemo-lr`);
    await whenReady(page);
    expect(await page.locator("#parallel polyline").count()).toBe(3);
    // The sweep goes on: a new trial in sweep.json shows up without a manual reload.
    const file = join(root, "sweeps", "demo-lr", "sweep.json");
    const state = JSON.parse(readFileSync(file, "utf8")) as { trials: Record<string, unknown>[] };
    state.trials.push({ ...state.trials[0], id: "trial-0005", index: 4, status: "running" });
    writeFileSync(file, JSON.stringify(state));
    await expect
      .poll(() => page.locator('#trials tr[data-trial="trial-0005"]').count(), { timeout: 4000 })
      .toBe(1);
    await whenReady(page);
    expect(await countSaturatedPixels(page, '.chart[data-chart="curves"] canvas')).toBeGreaterThan(
      200,
    );
    await Promise.all([page.waitForURL(/trial-0002/), page.click('a:text("trial-0002")')]);
    await whenReady(page);
    expect(await page.locator("h1").textContent()).toContain("trial-0002");
    expect(log.errors).toEqual([]);
    expect(log.offMachine).toEqual([]);
    await page.close();
  });

  test("a running run's page shows a new point within 2 s of the row being appended", async () => {
    writeFileSync(
      join(live.dir, "status.json"),
      JSON.stringify({ status: "running", updatedAt: new Date().toISOString(), pid: process.pid }),
    );
    const { page, log } = await openPage(browser);
    await page.goto(`${dashboard.url}run?dir=${encodeURIComponent(relative(root, live.dir))}`);
    await whenReady(page);
    expect(await page.getAttribute("#status", "data-status")).toBe("running");
    const points = Number(await page.getAttribute('.chart[data-chart="loss"]', "data-points"));
    const rows = Number(await page.getAttribute("#history-rows", "data-rows"));
    // Give the event stream a moment to connect, as a user's page has had.
    const connected = () =>
      page.evaluate(
        () => (globalThis as { tipiEvents?: { readyState: number } }).tipiEvents?.readyState,
      );
    await expect.poll(connected, { timeout: 5000, interval: 20 }).toBe(1);

    const appendedAt = Date.now();
    appendFileSync(
      join(live.dir, "history.jsonl"),
      `${JSON.stringify({ _index: rows, step: 13, epoch: 3, time: appendedAt, values: { "train/loss": 0.0421 } })}\n`,
    );
    await expect
      .poll(() => page.getAttribute('.chart[data-chart="loss"]', "data-points"), {
        timeout: 2000,
        interval: 20,
      })
      .toBe(String(points + 1));
    const latency = Date.now() - appendedAt;
    expect(latency).toBeLessThan(2000);
    expect(await page.getAttribute("#history-rows", "data-rows")).toBe(String(rows + 1));
    expect(await page.locator('.metric[data-metric="train/loss"] .v').textContent()).toBe("0.0421");
    expect(await countColoredPixels(page, '.chart[data-chart="loss"] canvas')).toBeGreaterThan(100);
    process.stdout.write(`live point drawn ${latency} ms after the append\n`);

    writeFileSync(
      join(live.dir, "status.json"),
      JSON.stringify({ status: "finished", updatedAt: new Date().toISOString(), pid: process.pid }),
    );
    await page.waitForSelector('#status[data-status="finished"]', { timeout: 2000 });
    expect(log.errors).toEqual([]);
    expect(log.offMachine).toEqual([]);
    expect(log.requests.every((url) => url.startsWith(dashboard.url))).toBe(true);
    await page.close();
  });
});
