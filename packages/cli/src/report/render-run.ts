/** The HTML of one run: key numbers, curves, confusion matrix, config, environment, timings. */
import { formatDuration } from "../ui/format.ts";
import { fmt, html, type RawHtml, raw } from "./html.ts";
import type { ConfusionFigure, RunData, TableFigure } from "./run-data.ts";

/** The data the page script needs for a run (the rest is rendered here). */
export interface RunPageData {
  readonly kind: "run";
  readonly history: RunData["history"];
  readonly historyBytes: number;
  readonly status: string;
  /** Set by the dashboard: where to follow the run (server-sent events). */
  readonly live?: { readonly events: string };
}

export function runPageData(run: RunData, live?: { events: string }): RunPageData {
  return {
    kind: "run",
    history: run.history,
    historyBytes: run.historyBytes,
    status: run.status,
    ...(live ? { live } : {}),
  };
}

const bytes = (n: number): string =>
  n < 1024
    ? `${n} B`
    : n < 1024 ** 2
      ? `${(n / 1024).toFixed(1)} KB`
      : `${(n / 1024 ** 2).toFixed(1)} MB`;

/** Scalars first, then tables flattened to dotted keys. */
export function flattenConfig(value: unknown, prefix = ""): [string, unknown][] {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return prefix ? [[prefix, value]] : [];
  return Object.entries(value).flatMap(([key, child]) =>
    flattenConfig(child, prefix ? `${prefix}.${key}` : key),
  );
}

const show = (value: unknown): string =>
  typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);

export function statusBadge(status: string): RawHtml {
  return html`<span class="status status-${status}" id="status" data-status="${status}">${status}</span>`;
}

export function notesBlock(notes: readonly string[]): RawHtml {
  if (notes.length === 0) return raw("");
  return html`<section class="notes" id="notes"><h2>Missing or incomplete</h2><ul>${notes.map(
    (note) => html`<li>${note}</li>`,
  )}</ul></section>`;
}

/** A grid of cards, one per numeric summary value; `data-value` holds the exact number. */
function metricCards(summary: Readonly<Record<string, number>>): RawHtml {
  const entries = Object.entries(summary).sort(
    ([a], [b]) => rank(a) - rank(b) || a.localeCompare(b),
  );
  return html`<div class="cards" id="metrics">${entries.map(
    ([key, value]) =>
      html`<div class="metric" data-metric="${key}" data-value="${String(value)}"><span class="k">${key}</span><span class="v">${fmt(value)}</span></div>`,
  )}</div>`;
}

function rank(key: string): number {
  if (key.startsWith("test/")) return 0;
  if (key.startsWith("val")) return 1;
  return /acc/.test(key) ? 2 : /loss/.test(key) ? 3 : 4;
}

function confusion(figure: ConfusionFigure): RawHtml {
  const labels = figure.labels;
  const rowSums = figure.matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const colSums = labels.map((_, j) => figure.matrix.reduce((a, row) => a + (row[j] ?? 0), 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  const correct = figure.matrix.reduce((a, row, i) => a + (row[i] ?? 0), 0);
  const heat = html`<table class="heat" data-figure="${figure.name}">
<thead><tr><th class="corner">actual ↓ · predicted →</th>${labels.map((l) => html`<th class="rot"><span>${l}</span></th>`)}</tr></thead>
<tbody>${figure.matrix.map(
    (row, i) =>
      html`<tr><th>${labels[i] ?? i}</th>${row.map((count, j) => {
        const share = rowSums[i] ? count / (rowSums[i] as number) : 0;
        const style = `background:rgba(37,99,235,${share.toFixed(3)});color:${share > 0.55 ? "#fff" : "inherit"}`;
        return html`<td style="${style}" class="${i === j ? "diag" : ""}" title="${`${labels[i]} → ${labels[j]}: ${count}`}">${count}</td>`;
      })}</tr>`,
  )}</tbody></table>`;
  const perClass = html`<table class="data per-class" data-figure="${figure.name}-per-class">
<thead><tr><th>class</th><th>count</th><th>correct</th><th>recall</th><th>precision</th></tr></thead>
<tbody>${labels.map((label, i) => {
    const hit = figure.matrix[i]?.[i] ?? 0;
    const recall = rowSums[i] ? hit / (rowSums[i] as number) : undefined;
    const precision = colSums[i] ? hit / (colSums[i] as number) : undefined;
    return html`<tr><td>${label}</td><td>${rowSums[i] ?? 0}</td><td>${hit}</td><td>${fmt(recall)}</td><td>${fmt(precision)}</td></tr>`;
  })}</tbody></table>`;
  return html`<div class="figure"><h3>${figure.name}</h3><p class="muted">${total} samples, ${correct} on the diagonal (accuracy ${fmt(total ? correct / total : undefined)}); cells are shaded by the share of their row.</p><div class="side">${heat}${perClass}</div></div>`;
}

function table(figure: TableFigure): RawHtml {
  return html`<div class="figure"><h3>${figure.name}</h3><table class="data" data-figure="${figure.name}"><thead><tr>${figure.columns.map(
    (c) => html`<th>${c}</th>`,
  )}</tr></thead><tbody>${figure.rows.map(
    (row) =>
      html`<tr>${row.map((cell) => html`<td>${typeof cell === "number" ? fmt(cell) : show(cell)}</td>`)}</tr>`,
  )}</tbody></table></div>`;
}

function configSection(run: RunData): RawHtml {
  if (!run.config) return html`<p class="muted">No config.json.</p>`;
  const overridden = new Map(run.overrides.map((o) => [o.path, o.source]));
  const rows = flattenConfig(run.config);
  const count = rows.filter(([key]) => overridden.has(key)).length;
  const files = run.configFiles.length
    ? html` Merged over it: ${run.configFiles.map((f, i) => html`${i ? ", " : ""}<code>${f}</code>`)}.`
    : "";
  return html`<p class="muted">${count} of ${rows.length} keys set on the command line (marked).${files}</p>
<table class="data config" id="config"><thead><tr><th>key</th><th>value</th><th>set by</th></tr></thead><tbody>${rows.map(
    ([key, value]) => {
      const source = overridden.get(key);
      return html`<tr data-key="${key}" class="${source ? "overridden" : ""}"><td><code>${key}</code></td><td><code>${show(value)}</code></td><td>${source ? html`<code>${source}</code>` : ""}</td></tr>`;
    },
  )}</tbody></table>`;
}

function environment(run: RunData): RawHtml {
  const m = run.meta;
  const skipped = Array.isArray(m.backendSkipped)
    ? (m.backendSkipped as { backend?: unknown; reason?: unknown }[])
        .map((s) => `${show(s.backend)} (${show(s.reason)})`)
        .join("; ")
    : undefined;
  const rows: [string, unknown][] = [
    [
      "backend",
      m.backend === undefined
        ? undefined
        : `${show(m.backend)}${m.backendReason ? ` — ${show(m.backendReason)}` : ""}`,
    ],
    ["backend requested", m.backendRequested],
    ["other backends", skipped],
    ["tipi", m.tipi],
    ["tfjs", m.tfjs],
    ["node", m.node],
    ["platform", m.platform],
    ["host", m.hostname],
    ["git", m.git],
    ["seed", m.seed],
    ["command", Array.isArray(m.argv) ? m.argv.join(" ") : undefined],
    ["pipeline file", m.pipelineFile],
    ["resumed from", m.resumedFrom],
    [
      "resumed",
      Array.isArray(m.resumes) && m.resumes.length > 0
        ? (m.resumes as { at?: unknown }[]).map((r) => show(r.at)).join(", ")
        : undefined,
    ],
  ];
  return html`<table class="data kv" id="environment"><tbody>${rows
    .filter(([, v]) => v !== undefined && v !== "")
    .map(
      ([k, v]) => html`<tr data-key="${k}"><th>${k}</th><td>${show(v)}</td></tr>`,
    )}</tbody></table>`;
}

function timings(run: RunData): RawHtml {
  const steps = run.steps.length
    ? html`<table class="data" id="steps"><thead><tr><th>step</th><th>state</th><th>duration</th></tr></thead><tbody>${run.steps.map(
        (s) =>
          html`<tr data-step="${s.name}"><td>${s.name}</td><td>${s.state}${s.error ? html` — ${s.error}` : ""}</td><td>${s.durationMs === undefined ? "-" : formatDuration(s.durationMs)}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No step events recorded.</p>`;
  return html`${steps}<div class="charts" id="timing-charts"></div>`;
}

function checkpoints(run: RunData): RawHtml {
  if (run.checkpoints.length === 0 && run.model.length === 0)
    return html`<p class="muted">No checkpoints and no saved model.</p>`;
  return html`<table class="data" id="checkpoints"><thead><tr><th>file</th><th>step</th><th>size</th><th>written</th></tr></thead><tbody>${run.checkpoints.map(
    (c) =>
      html`<tr><td><code>checkpoints/${c.file}</code></td><td>${c.step ?? "-"}</td><td>${bytes(c.bytes)}</td><td>${c.mtime.replace("T", " ").slice(0, 19)}</td></tr>`,
  )}${run.model.map(
    (f) =>
      html`<tr><td><code>${f.file}</code></td><td>saved model</td><td>${bytes(f.bytes)}</td><td></td></tr>`,
  )}</tbody></table>`;
}

function syncSection(run: RunData): RawHtml {
  const logger = (run.config?.pipeline as Record<string, unknown> | undefined)?.logger;
  if (!run.sync)
    return html`<p id="sync" data-sync="none">Not synced to W&amp;B (no <code>wandb-sync.json</code>${logger ? html`; the run's logger is <code>${show(logger)}</code>` : ""}). <code>tipi sync ${run.runId ?? run.dir}</code> uploads it.</p>`;
  const s = run.sync;
  const state = s.complete ? "complete" : s.lastError ? "failed part-way" : "partial";
  return html`<table class="data kv" id="sync" data-sync="${state}"><tbody>
<tr><th>state</th><td>${state}</td></tr>
<tr><th>W&amp;B run</th><td>${[s.entity, s.project, s.runId].filter(Boolean).join("/")}</td></tr>
<tr><th>mode</th><td>${s.mode ?? "-"}</td></tr>
<tr><th>history rows acknowledged</th><td>${s.rowsAcknowledged} of ${run.history.length}</td></tr>
${s.lastError ? html`<tr><th>last error</th><td>${s.lastError}</td></tr>` : ""}
${s.updatedAt ? html`<tr><th>updated</th><td>${s.updatedAt}</td></tr>` : ""}
</tbody></table>`;
}

/** The header line of a run: status, pipeline, id, start, duration, history rows. */
function runHeader(run: RunData): RawHtml {
  return html`<header class="title"><h1>${run.title}</h1>${statusBadge(run.status)}
<p class="muted">${run.createdAt ? html`started ${run.createdAt.replace("T", " ").slice(0, 19)} UTC · ` : ""}${run.durationMs === undefined ? "" : html`${formatDuration(run.durationMs)} · `}<span id="history-rows" data-rows="${run.history.length}">${run.history.length}</span> history rows · <code>${run.dir}</code></p></header>`;
}

/** The body of a run's page. */
export function renderRunBody(run: RunData): RawHtml {
  const figures = run.figures.map((f) => (f.kind === "confusion-matrix" ? confusion(f) : table(f)));
  const images = run.images.map(
    (image) =>
      html`<div class="figure"><h3>${image.name}</h3><img alt="${image.name}" src="${image.src}"></div>`,
  );
  return html`${runHeader(run)}
${notesBlock(run.notes)}
${run.error ? html`<section class="error" id="run-error"><h2>Error</h2><pre>${run.error}</pre></section>` : ""}
<section><h2>Summary</h2>${metricCards(run.summary)}</section>
<section><h2>Curves</h2>
<div class="xmode" role="group" aria-label="x axis">x axis: <button type="button" data-x="step" class="on">step</button><button type="button" data-x="epoch">epoch</button></div>
<div class="charts" id="charts">${run.history.length === 0 ? html`<p class="muted">No history rows.</p>` : ""}</div></section>
${figures.length + images.length ? html`<section><h2>Evaluation</h2>${figures}${images}</section>` : ""}
<section><h2>Config</h2>${configSection(run)}</section>
<section><h2>Environment</h2>${environment(run)}</section>
<section><h2>Timings</h2>${timings(run)}</section>
<section><h2>Checkpoints</h2>${checkpoints(run)}</section>
<section><h2>Weights &amp; Biases</h2>${syncSection(run)}</section>`;
}
