// `tipi report` files opened in a real headless Chromium (from file://, as a user opens them):
// the charts are drawn (series-coloured pixels in their screenshots), the numbers on the page are
// summary.json's, the page logs no error and asks nothing of any other machine.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tipi } from "./fixtures/cli/run-tipi.ts";
import {
  countColoredPixels,
  countSaturatedPixels,
  launchChromium,
  openPage,
  saveScreenshot,
  whenReady,
} from "./report-chromium.ts";
import { MATRIX, writeCrashedRun, writeFinishedRun, writeSweep } from "./report-fixtures.ts";

const scratch = mkdtempSync(join(tmpdir(), "tipi-report-browser-"));
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function report(target: string): Promise<string> {
  const out = join(scratch, `${Math.random().toString(36).slice(2)}.html`);
  const r = await tipi(["report", target, "--out", out]);
  expect(r.code, r.stderr).toBe(0);
  return pathToFileURL(out).href;
}

describe("a run's report in Chromium", () => {
  test("draws loss, accuracy, learning rate and timing charts; shows summary.json's numbers", async () => {
    const run = writeFinishedRun(join(scratch, "runs"));
    const url = await report(run.dir);
    const { page, log } = await openPage(browser);
    await page.goto(url);
    await whenReady(page);
    for (const chart of ["accuracy", "loss", "lr"]) {
      expect(
        await countColoredPixels(page, `.chart[data-chart="${chart}"] canvas`),
        `${chart} chart drew no line`,
      ).toBeGreaterThan(100);
    }
    expect(
      await countColoredPixels(page, '.chart[data-chart="ms-per-step"] canvas'),
    ).toBeGreaterThan(50);
    expect(await page.getAttribute('.chart[data-chart="loss"]', "data-points")).toBe("12");
    // The pixel count can fail: a blank canvas with the same axes, legend and size has none.
    await page.evaluate(
      `(() => { const c = document.querySelector('.chart[data-chart="lr"] canvas'); c.getContext("2d").clearRect(0, 0, c.width, c.height); })()`,
    );
    expect(await countColoredPixels(page, '.chart[data-chart="lr"] canvas')).toBe(0);

    const summary = JSON.parse(readFileSync(join(run.dir, "summary.json"), "utf8")) as Record<
      string,
      number
    >;
    const card = page.locator('.metric[data-metric="test/accuracy"]');
    expect(Number(await card.getAttribute("data-value"))).toBe(summary["test/accuracy"]);
    expect(await card.locator(".v").textContent()).toBe("0.8123");
    const diagonal = await page.locator("table.heat td.diag").allTextContents();
    expect(diagonal.map(Number)).toEqual(MATRIX.map((row, i) => row[i]));
    expect(await page.locator("#config tr.overridden").count()).toBe(3);

    // The x axis switches to epochs: the last point of 3 epochs sits at 3.
    await page.click('.xmode button[data-x="epoch"]');
    expect(await page.getAttribute('.chart[data-chart="loss"]', "data-points")).toBe("12");
    await saveScreenshot(page, "report-run");
    expect(log.errors).toEqual([]);
    expect(log.offMachine).toEqual([]);
    expect(log.requests.every((u) => u.startsWith("file:"))).toBe(true);
    await page.close();
  });

  test("a crashed run's report shows its notes and the curve it has", async () => {
    const dir = writeCrashedRun(join(scratch, "crashed"));
    const { page, log } = await openPage(browser);
    await page.goto(await report(dir));
    await whenReady(page);
    const notes = await page.locator("#notes").textContent();
    expect(notes).toContain("half-written line");
    expect(notes).toContain("process (pid");
    expect(await countColoredPixels(page, '.chart[data-chart="loss"] canvas')).toBeGreaterThan(50);
    await saveScreenshot(page, "report-crashed");
    expect(log.errors).toEqual([]);
    expect(log.offMachine).toEqual([]);
    await page.close();
  });
});

describe("a real run's report in Chromium", () => {
  test("after tipi run: the page's test accuracy is summary.json's, the confusion matrix is drawn", async () => {
    const runs = join(scratch, "real");
    const run = await tipi(
      [
        "run",
        "examples/fashion-mnist",
        "--seed",
        "7",
        "--set",
        "hyperparameters.epochs=2",
        "--set",
        "data.trainLimit=320",
        "--runs",
        runs,
        "--no-progress",
      ],
      { env: { CI: "true" }, timeoutMs: 120_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const dir = /· (\S+)\s*$/.exec(run.stdout.trim().split("\n").at(-1) ?? "")?.[1] as string;
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Record<
      string,
      number
    >;
    const { page, log } = await openPage(browser);
    await page.goto(await report(dir));
    await whenReady(page);
    const card = page.locator('.metric[data-metric="test/accuracy"]');
    expect(Number(await card.getAttribute("data-value"))).toBe(summary["test/accuracy"]);
    expect(await page.locator("table.heat tbody tr").count()).toBe(10);
    expect(await page.locator('#environment tr[data-key="backend"] td').textContent()).toMatch(
      /^wasm|^tensorflow|^cpu/,
    );
    expect(await countColoredPixels(page, '.chart[data-chart="loss"] canvas')).toBeGreaterThan(20);
    expect(log.errors).toEqual([]);
    expect(log.offMachine).toEqual([]);
    await page.close();
  }, 120_000);
});

describe("a sweep's report in Chromium", () => {
  test("ranks the trials, draws parallel coordinates, metric per parameter and the curves", async () => {
    const { dir, best } = writeSweep(join(scratch, "sweep"));
    const { page, log } = await openPage(browser);
    await page.goto(await report(dir));
    await whenReady(page);
    expect(await page.locator("#trials tbody tr").first().getAttribute("data-trial")).toBe(best);
    expect(await page.locator('.metric[data-metric="best"]').getAttribute("data-value")).toBe(
      "0.82",
    );
    expect(await page.locator("#parallel polyline").count()).toBe(3);
    expect(await page.locator("#parallel polyline[stroke-dasharray]").count()).toBe(1);
    expect(await countSaturatedPixels(page, "#parallel svg")).toBeGreaterThan(500);
    for (const key of ["hyperparameters.learningRate", "hyperparameters.batchSize"]) {
      expect(
        await countColoredPixels(page, `.chart[data-chart="param:${key}"] canvas`),
        `${key} scatter is empty`,
      ).toBeGreaterThan(20);
    }
    expect(await countSaturatedPixels(page, '.chart[data-chart="curves"] canvas')).toBeGreaterThan(
      200,
    );
    expect(await page.locator("#stopped tr[data-trial]").allTextContents()).toEqual([
      expect.stringContaining("hyperband: below the top 1/2 at iteration 1"),
    ]);
    await saveScreenshot(page, "report-sweep");
    expect(log.errors).toEqual([]);
    expect(log.offMachine).toEqual([]);
    await page.close();
  });
});
