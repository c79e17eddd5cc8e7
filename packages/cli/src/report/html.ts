/**
 * The shell of every report and dashboard page: one HTML document with the styles, uPlot and
 * the page script inlined, and the page's data as JSON. A Content-Security-Policy lets the page
 * load nothing from anywhere (a dashboard page may talk to its own server only).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatMetric } from "../ui/format.ts";

/** Escapes text for HTML content and attribute values. */
function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A template tag that escapes every interpolated value except {@link raw} HTML. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): RawHtml {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += toHtml(value) + (strings[i + 1] ?? "");
  });
  return new RawHtml(out);
}

/** HTML that is inserted as it is. */
export class RawHtml {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export const raw = (text: string): RawHtml => new RawHtml(text);

function toHtml(value: unknown): string {
  if (value instanceof RawHtml) return value.html;
  if (Array.isArray(value)) return value.map(toHtml).join("");
  if (value === undefined || value === null || value === false) return "";
  return escapeHtml(value);
}

/** A metric for people (`0.8123`, `1.2e-5`), `-` for none. */
export const fmt = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? "-" : formatMetric(value);

/** JSON that is safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

interface Assets {
  readonly uplotJs: string;
  readonly uplotCss: string;
  readonly clientJs: string;
  readonly css: string;
}

let assets: Assets | undefined;

/**
 * uPlot's files from node_modules and tipi's page script and styles from `assets/` (beside
 * `src/` and `dist/`, so the same relative path works from both).
 */
function loadAssets(): Assets {
  if (assets) return assets;
  const require = createRequire(import.meta.url);
  const uplotDir = dirname(require.resolve("uplot/package.json"));
  const own = fileURLToPath(new URL("../../assets/", import.meta.url));
  assets = {
    uplotJs: readFileSync(join(uplotDir, "dist", "uPlot.iife.min.js"), "utf8"),
    uplotCss: readFileSync(join(uplotDir, "dist", "uPlot.min.css"), "utf8"),
    clientJs: readFileSync(join(own, "report-client.js"), "utf8"),
    css: readFileSync(join(own, "report.css"), "utf8"),
  };
  return assets;
}

export interface PageOptions {
  readonly title: string;
  readonly body: RawHtml;
  /** What the page script reads (`kind` selects what it draws). */
  readonly data: unknown;
  /** A dashboard page may connect to its own server (server-sent events); a report to nothing. */
  readonly live?: boolean;
  /** Links shown above the page (the dashboard's navigation). */
  readonly nav?: RawHtml;
}

/** A whole HTML document. */
export function page(options: PageOptions): string {
  const { uplotJs, uplotCss, clientJs, css } = loadAssets();
  const csp = [
    "default-src 'none'",
    "script-src 'unsafe-inline'",
    "style-src 'unsafe-inline'",
    "img-src data:",
    options.live ? "connect-src 'self'" : "connect-src 'none'",
    options.live ? "form-action 'self'" : "form-action 'none'",
  ].join("; ");
  // `</script` cannot occur in the inlined scripts' text: it would end the element early.
  const script = (text: string) => text.replace(/<\/script/gi, "<\\/script");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="tipi">
<title>${escapeHtml(options.title)}</title>
<style>${uplotCss}</style>
<style>${css}</style>
</head>
<body>
${options.nav?.html ?? ""}
<main>
${options.body.html}
</main>
<script type="application/json" id="tipi-data">${scriptJson(options.data)}</script>
<script>${script(uplotJs)}</script>
<script>${script(clientJs)}</script>
</body>
</html>
`;
}
