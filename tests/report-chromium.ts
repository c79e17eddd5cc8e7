// A real headless Chromium for the report and dashboard tests: Debian's `chromium`, driven by
// playwright-core (which downloads no browser). When it is missing the set-up installs it with
// apt-get, and when that cannot work it fails loudly with the reason instead of skipping.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { PNG } from "pngjs";

const CANDIDATES = [
  process.env.TIPI_CHROMIUM,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
].filter((path): path is string => Boolean(path));

/** The path of a Chromium, installed with apt-get when none is there. */
export function ensureChromium(): string {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found) return found;
  const why = (reason: string) =>
    new Error(
      `\n*** The browser tests need Chromium and none is installed (looked for ${CANDIDATES.join(", ")}).\n` +
        `*** ${reason}\n*** Install it with: apt-get update && apt-get install -y chromium\n` +
        "*** (or point TIPI_CHROMIUM at a Chromium or Chrome binary).\n",
    );
  if (process.platform !== "linux" || !existsSync("/usr/bin/apt-get"))
    throw why("This is not a Debian-like system with apt-get, so the tests cannot install it.");
  if (process.getuid?.() !== 0)
    throw why("The tests install it with apt-get only when running as root, and this is not root.");
  // Test files run in parallel processes: one installs, the others wait for it.
  const lock = join(tmpdir(), "tipi-chromium-install.lock");
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - started > 290_000) throw why(`another test process holds ${lock}.`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    const ready = CANDIDATES.find((path) => existsSync(path));
    if (ready) return ready;
    return installChromium(why);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function installChromium(why: (reason: string) => Error): string {
  process.stderr.write(
    "\n*** Chromium is missing: installing Debian's chromium with apt-get for the browser tests…\n",
  );
  try {
    const apt = (args: string[]) =>
      execFileSync("apt-get", ["-o", "DPkg::Lock::Timeout=120", ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 280_000,
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
    apt(["update", "-q"]);
    apt(["install", "-y", "-q", "--no-install-recommends", "chromium"]);
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim().split("\n").slice(-5);
    throw why(`apt-get failed: ${stderr?.join(" | ") ?? (error as Error).message}`);
  }
  const installed = CANDIDATES.find((path) => existsSync(path));
  if (!installed) throw why("apt-get said it installed chromium, but no binary is there.");
  return installed;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: ensureChromium(),
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--font-render-hinting=none",
    ],
  });
}

/** What a page did that a test must see: console errors, page errors, requests it made. */
export interface PageLog {
  readonly errors: string[];
  /** Every request URL that left the machine (anything but file:, data: and 127.0.0.1); blocked. */
  readonly offMachine: string[];
  readonly requests: string[];
}

/** A page of `browser` that records errors and blocks (and records) every off-machine request. */
export async function openPage(
  browser: Browser,
  viewport = { width: 1280, height: 900 },
): Promise<{ page: Page; log: PageLog }> {
  const page = await browser.newPage({ viewport });
  const log: PageLog = { errors: [], offMachine: [], requests: [] };
  page.on("console", (message) => {
    if (message.type() === "error") log.errors.push(message.text());
  });
  page.on("pageerror", (error) => log.errors.push(error.message));
  await page.route("**/*", (route) => {
    const url = route.request().url();
    log.requests.push(url);
    const { protocol, hostname } = new URL(url);
    if (protocol === "file:" || protocol === "data:" || hostname === "127.0.0.1")
      return route.continue();
    log.offMachine.push(url);
    return route.abort();
  });
  return { page, log };
}

/** Waits until the page script has drawn everything (it marks `<html data-ready>`). */
export async function whenReady(page: Page): Promise<void> {
  await page.waitForSelector("html[data-ready]", { timeout: 10_000 });
}

const hex = (color: string) =>
  [1, 3, 5].map((i) => Number.parseInt(color.slice(i, i + 2), 16)) as [number, number, number];

/**
 * Screenshots `selector` and counts its pixels within `tolerance` of `color` (a chart's series
 * colour): an empty chart (axes and grid only) has none of them.
 */
export async function countColoredPixels(
  page: Page,
  selector: string,
  color = "#2563eb",
  tolerance = 60,
): Promise<number> {
  const png = PNG.sync.read(await page.locator(selector).first().screenshot());
  const [r, g, b] = hex(color);
  let count = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const d =
      Math.abs((png.data[i] as number) - r) +
      Math.abs((png.data[i + 1] as number) - g) +
      Math.abs((png.data[i + 2] as number) - b);
    if (d <= tolerance) count++;
  }
  return count;
}

/** Pixels that are clearly coloured (not white, grey or black): lines of any colour. */
export async function countSaturatedPixels(page: Page, selector: string): Promise<number> {
  const png = PNG.sync.read(await page.locator(selector).first().screenshot());
  let count = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const channels = [png.data[i], png.data[i + 1], png.data[i + 2]] as number[];
    if (Math.max(...channels) - Math.min(...channels) > 60) count++;
  }
  return count;
}

/**
 * Saves a full-page screenshot as `<TIPI_SCREENSHOTS>/<name>.png` when that variable names a
 * folder (scripts/report-screenshots.sh sets it to regenerate the docs' images).
 */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.TIPI_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  // The top of the page, at most 1800 px: what a reader sees first, at a size a repository keeps.
  const height = Math.min(
    1800,
    await page.evaluate(
      () =>
        (globalThis as { document?: { body: { scrollHeight: number } } }).document?.body
          .scrollHeight ?? 900,
    ),
  );
  const width = page.viewportSize()?.width ?? 1280;
  writeFileSync(
    join(dir, `${name}.png`),
    await page.screenshot({ fullPage: true, clip: { x: 0, y: 0, width, height } }),
  );
}
