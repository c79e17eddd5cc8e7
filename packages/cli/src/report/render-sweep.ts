/** The HTML of a sweep: trials ranked, parallel coordinates, metric per parameter, hyperband stops. */
import { formatDuration } from "../ui/format.ts";
import { fmt, html, type RawHtml } from "./html.ts";
import { notesBlock, statusBadge } from "./render-run.ts";
import type { SweepData, SweepTrial } from "./sweep-data.ts";

/** What the page script needs to draw a sweep's charts. */
export interface SweepPageData {
  readonly kind: "sweep";
  readonly metric?: SweepData["metric"];
  readonly params: SweepData["params"];
  readonly trials: readonly Pick<SweepTrial, "id" | "status" | "metric" | "params" | "curve">[];
}

export function sweepPageData(sweep: SweepData): SweepPageData {
  return {
    kind: "sweep",
    ...(sweep.metric ? { metric: sweep.metric } : {}),
    params: sweep.params,
    trials: sweep.trials.map(({ id, status, metric, params, curve }) => ({
      id,
      status,
      ...(metric === undefined ? {} : { metric }),
      params,
      curve,
    })),
  };
}

const value = (v: unknown): string =>
  typeof v === "number"
    ? fmt(v)
    : typeof v === "string"
      ? v
      : v === undefined
        ? "-"
        : JSON.stringify(v);

function duration(trial: SweepTrial): string {
  if (!trial.startedAt || !trial.endedAt) return "-";
  const ms = Date.parse(trial.endedAt) - Date.parse(trial.startedAt);
  return Number.isFinite(ms) ? formatDuration(ms) : "-";
}

/**
 * The body of a sweep's page. `trialLink` turns a trial into a link (the dashboard's run pages);
 * a report file links nothing, since it must stand alone.
 */
export function renderSweepBody(
  sweep: SweepData,
  trialLink?: (trial: SweepTrial) => string | undefined,
): RawHtml {
  const counts = new Map<string, number>();
  for (const t of sweep.trials) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const metricName = sweep.metric?.name ?? "metric";
  const best = sweep.trials.find((t) => t.rank === 1);
  const stopped = sweep.trials.filter((t) => t.status === "stopped");
  const constants = Object.entries(sweep.constants);
  const idCell = (t: SweepTrial) => {
    const href = trialLink?.(t);
    return href ? html`<a href="${href}">${t.id}</a>` : t.id;
  };
  return html`<header class="title"><h1>${sweep.title}</h1>${statusBadge(sweep.status)}
<p class="muted">${sweep.pipeline ? html`pipeline <code>${sweep.pipeline}</code> · ` : ""}${sweep.method ?? "?"} search · ${sweep.trials.length} trials (${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")})${sweep.metric ? html` · ${sweep.metric.goal} <code>${sweep.metric.name}</code>` : ""} · <code>${sweep.dir}</code></p></header>
${notesBlock(sweep.notes)}
${
  best
    ? html`<section><h2>Best trial</h2><div class="cards"><div class="metric" data-metric="best" data-value="${String(best.metric)}" data-trial="${best.id}"><span class="k">${best.id} · ${metricName}</span><span class="v">${fmt(best.metric)}</span></div>${sweep.params.map(
        (p) =>
          html`<div class="metric"><span class="k">${p.key}</span><span class="v">${value(best.params[p.key])}</span></div>`,
      )}</div></section>`
    : ""
}
<section><h2>Trials by ${metricName}</h2>
<table class="data" id="trials"><thead><tr><th>#</th><th>trial</th><th>status</th><th>${metricName}</th>${sweep.params.map((p) => html`<th>${p.key}</th>`)}<th>iterations</th><th>duration</th><th>note</th></tr></thead>
<tbody>${sweep.trials.map(
    (t) =>
      html`<tr data-trial="${t.id}" data-status="${t.status}" class="${t.status}"><td>${t.rank ?? "-"}</td><td>${idCell(t)}</td><td>${t.status}</td><td data-value="${t.metric === undefined ? "" : String(t.metric)}">${fmt(t.metric)}</td>${sweep.params.map((p) => html`<td>${value(t.params[p.key])}</td>`)}<td>${t.iterations}</td><td>${duration(t)}</td><td>${t.reason ?? ""}</td></tr>`,
  )}</tbody></table>
${constants.length ? html`<p class="muted">Fixed in every trial: ${constants.map(([k, v], i) => html`${i ? ", " : ""}<code>${k} = ${value(v)}</code>`)}.</p>` : ""}
</section>
<section><h2>Parameters → ${metricName}</h2><div id="parallel" class="parallel"></div><div class="charts" id="param-charts"></div></section>
<section><h2>${metricName} per iteration</h2><div class="charts" id="curve-charts"></div></section>
<section><h2>Early termination</h2>${
    sweep.hyperband
      ? html`<p class="muted">${Object.entries(sweep.hyperband).map(([k, v], i) => html`${i ? ", " : ""}<code>${k}: ${value(v)}</code>`)}</p>${
          stopped.length
            ? html`<table class="data" id="stopped"><thead><tr><th>trial</th><th>stopped after iteration</th><th>${metricName} then</th><th>at</th><th>why</th></tr></thead><tbody>${stopped.map(
                (t) =>
                  html`<tr data-trial="${t.id}"><td>${idCell(t)}</td><td>${t.iterations}</td><td>${fmt(t.metric)}</td><td>${t.endedAt?.replace("T", " ").slice(0, 19) ?? "-"}</td><td>${t.reason ?? ""}</td></tr>`,
              )}</tbody></table>`
            : html`<p id="stopped">Hyperband stopped no trial.</p>`
        }`
      : html`<p id="stopped">No early termination configured.</p>`
  }</section>`;
}
