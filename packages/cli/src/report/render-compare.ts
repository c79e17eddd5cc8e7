/** Runs compared on the same axes: a metric table side by side, config differences, overlaid curves. */
import { formatDuration } from "../ui/format.ts";
import { compareRuns } from "./compare-runs.ts";
import { fmt, html, page, type RawHtml } from "./html.ts";
import type { RunData } from "./run-data.ts";

const show = (v: unknown): string =>
  typeof v === "string" ? v : v === undefined ? "-" : JSON.stringify(v);

/** The label of a run in a comparison: its id, else its directory's name. */
const runLabel = (run: RunData): string => run.runId ?? run.dir.split("/").at(-1) ?? run.dir;

export function comparePage(
  runs: readonly RunData[],
  extras: { nav?: RawHtml; runLink?: (run: RunData) => string } = {},
): string {
  const comparison = compareRuns(runs);
  const head = html`<tr><th></th>${runs.map((run) => {
    const href = extras.runLink?.(run);
    return html`<th>${href ? html`<a href="${href}">${run.title}</a>` : run.title}</th>`;
  })}</tr>`;
  const body = html`<header class="title"><h1>Comparing ${runs.length} runs</h1></header>
<section><h2>Summary</h2><table class="data" id="compare-metrics"><thead>${head}</thead><tbody>
<tr><th>status</th>${comparison.runs.map((r) => html`<td>${r.status}</td>`)}</tr>
<tr><th>duration</th>${comparison.runs.map((r) => html`<td>${r.durationMs === undefined ? "-" : formatDuration(r.durationMs)}</td>`)}</tr>
${comparison.metrics.map(
  (m) =>
    html`<tr data-metric="${m.key}"><th>${m.key}</th>${m.values.map((v) => html`<td data-value="${v === undefined ? "" : String(v)}">${fmt(v)}</td>`)}</tr>`,
)}</tbody></table></section>
<section><h2>Config differences</h2>${
    comparison.config.length
      ? html`<table class="data" id="compare-config"><thead>${head}</thead><tbody>${comparison.config.map(
          (c) =>
            html`<tr data-key="${c.key}"><th><code>${c.key}</code></th>${c.values.map((v) => html`<td><code>${show(v)}</code></td>`)}</tr>`,
        )}</tbody></table>`
      : html`<p>The configs are the same.</p>`
  }</section>
<section><h2>Curves</h2>
<div class="xmode" role="group" aria-label="x axis">x axis: <button type="button" data-x="step" class="on">step</button><button type="button" data-x="epoch">epoch</button></div>
<div class="charts" id="charts"></div></section>`;
  return page({
    title: `compare ${runs.map(runLabel).join(" · ")} · tipi`,
    body,
    data: {
      kind: "compare",
      runs: runs.map((run) => ({ label: runLabel(run), history: run.history })),
    },
    ...(extras.nav ? { nav: extras.nav, live: true } : {}),
  });
}
