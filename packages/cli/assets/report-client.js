// The script of tipi's report and dashboard pages: draws the charts with uPlot (inlined before
// this script) from the JSON in #tipi-data, and on a live dashboard page follows the run through
// server-sent events. Plain browser JavaScript, no build step, no requests of its own.
(() => {
  const uPlot = window.uPlot;
  const COLORS = [
    "#2563eb",
    "#dc2626",
    "#16a34a",
    "#9333ea",
    "#ea580c",
    "#0891b2",
    "#ca8a04",
    "#db2777",
    "#4b5563",
    "#65a30d",
  ];
  const data = JSON.parse(document.getElementById("tipi-data").textContent);
  /** Tick spacings for axes that count (steps, iterations): never 1.25. */
  const INTEGER_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500]
    .flatMap((n) => [n, n * 1000, n * 1e6])
    .sort((a, b) => a - b);
  const view = { x: "step" };

  function fmt(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "-";
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
    return v.toPrecision(4).replace(/\.?0+$/, "");
  }

  /** One uPlot chart in a new `.chart` element of `container`; `data-points` counts its x values. */
  function lineChart(container, name, title, labels, aligned, opts) {
    const el = document.createElement("div");
    el.className = "chart";
    el.dataset.chart = name;
    container.appendChild(el);
    const width = Math.max(300, el.clientWidth - 8);
    const points = opts.points ?? aligned[0].length < 60;
    const chart = new uPlot(
      {
        title,
        width,
        height: opts.height ?? 240,
        scales: {
          x: { time: false, ...(opts.xLog ? { distr: 3 } : {}) },
          y: opts.yLog ? { distr: 3 } : {},
        },
        series: [
          { label: opts.xLabel, value: (_u, v) => (opts.xFormat ?? fmt)(v) },
          ...labels.map((label, i) => ({
            label,
            stroke: COLORS[i % COLORS.length],
            width: 1.5,
            spanGaps: true,
            ...(opts.dash?.[i] ? { dash: [5, 4] } : {}),
            ...(opts.scatter ? { paths: () => null } : {}),
            points: { show: opts.scatter || points, size: opts.scatter ? 8 : 5 },
            value: (_u, v) => fmt(v),
          })),
        ],
        axes: [
          {
            label: opts.xLabel,
            ...(opts.xValues ? { values: opts.xValues } : {}),
            ...(opts.xSplits ? { splits: opts.xSplits } : {}),
            ...(opts.xIntegers ? { incrs: INTEGER_STEPS } : {}),
          },
          { size: 64, values: (_u, vals) => vals.map(fmt) },
        ],
      },
      aligned,
      el,
    );
    el.dataset.points = String(aligned[0].length);
    return { el, chart, labels };
  }

  /** Aligns `series` (arrays of [x, y]) on the union of their x values. */
  function align(series) {
    const xs = [...new Set(series.flatMap((s) => s.map((p) => p[0])))].sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const ys = series.map((s) => {
      const column = xs.map(() => null);
      for (const [x, y] of s) column[at.get(x)] = y;
      return column;
    });
    return [xs, ...ys];
  }

  /** Scatter data: every point kept (equal x values too), one y column per series. */
  function alignPoints(series) {
    const all = series.flatMap((s, j) => s.map((p) => [p[0], p[1], j])).sort((a, b) => a[0] - b[0]);
    return [
      all.map((a) => a[0]),
      ...series.map((_s, j) => all.map((a) => (a[2] === j ? a[1] : null))),
    ];
  }

  // ---- runs ---------------------------------------------------------------------------------

  /** `train/epoch_loss` and `val/loss` share the chart `loss`. */
  function groupOf(key) {
    const name = key.slice(key.lastIndexOf("/") + 1);
    return name.replace(/^epoch_/, "");
  }

  function groupRank(name) {
    if (/acc/.test(name)) return 0;
    if (/loss/.test(name)) return 1;
    if (name === "lr" || /learning/.test(name)) return 3;
    return 2;
  }

  /** x of a history row: its step, or a fractional epoch (1.0 = the end of the first epoch). */
  function xMapper(history, mode) {
    const stepped = history.some((p) => p.step !== undefined);
    if (mode === "step") {
      return stepped ? (p) => (p.step === undefined ? null : p.step) : (p) => p.index;
    }
    const ends = new Map();
    for (const p of history) {
      if (p.step !== undefined && p.epoch !== undefined)
        ends.set(p.epoch, Math.max(ends.get(p.epoch) ?? -1, p.step));
    }
    const lengths = [...ends.keys()]
      .filter((e) => ends.has(e - 1) || e === 0)
      .map((e) => ends.get(e) - (e === 0 ? 0 : ends.get(e - 1)));
    const typical = lengths.length > 1 ? lengths[lengths.length - 2] : undefined;
    return (p) => {
      if (p.epoch === undefined || p.step === undefined) return null;
      const start = p.epoch === 0 ? 0 : (ends.get(p.epoch - 1) ?? 0);
      let end = ends.get(p.epoch);
      if (typical !== undefined) end = Math.max(end, start + typical);
      return end > start ? p.epoch + (p.step - start) / (end - start) : p.epoch + 1;
    };
  }

  function runGroups(history) {
    const groups = new Map();
    const stepped = history.some((q) => q.step !== undefined);
    for (const p of history) {
      if (p.step === undefined && stepped) continue;
      for (const key of Object.keys(p.values)) {
        const g = groupOf(key);
        if (!groups.has(g)) groups.set(g, []);
        if (!groups.get(g).includes(key)) groups.get(g).push(key);
      }
    }
    return [...groups].sort(
      (a, b) => groupRank(a[0]) - groupRank(b[0]) || a[0].localeCompare(b[0]),
    );
  }

  const runCharts = new Map();

  function drawRunCharts() {
    const container = document.getElementById("charts");
    if (!container) return;
    const history = data.history;
    const xOf = xMapper(history, view.x);
    const xLabel = view.x === "step" && !history.some((p) => p.step !== undefined) ? "row" : view.x;
    for (const [name, keys] of runGroups(history)) {
      const series = keys.map((key) =>
        history
          .filter((p) => p.values[key] !== undefined && xOf(p) !== null)
          .map((p) => [xOf(p), p.values[key]]),
      );
      const aligned = align(series);
      const title = name === "lr" ? "learning rate" : name;
      const existing = runCharts.get(name);
      if (existing && existing.labels.join() === keys.join() && existing.x === view.x) {
        existing.chart.setData(aligned);
        existing.el.dataset.points = String(aligned[0].length);
        continue;
      }
      if (existing) {
        existing.chart.destroy();
        existing.el.remove();
      }
      const made = lineChart(container, name, title, keys, aligned, {
        xLabel,
        xIntegers: view.x === "step",
      });
      runCharts.set(name, { ...made, x: view.x });
    }
    drawTimingChart();
  }

  let timingChart;
  function drawTimingChart() {
    const container = document.getElementById("timing-charts");
    if (!container) return;
    const rows = data.history.filter((p) => p.step !== undefined && p.time !== undefined);
    const points = [];
    for (let i = 1; i < rows.length; i++) {
      const steps = rows[i].step - rows[i - 1].step;
      if (steps > 0) points.push([rows[i].step, (rows[i].time - rows[i - 1].time) / steps]);
    }
    if (points.length === 0) return;
    const aligned = align([points]);
    if (timingChart) {
      timingChart.chart.setData(aligned);
      timingChart.el.dataset.points = String(aligned[0].length);
      return;
    }
    timingChart = lineChart(
      container,
      "ms-per-step",
      "ms per training step",
      ["ms/step"],
      aligned,
      {
        xLabel: "step",
        xIntegers: true,
        height: 200,
      },
    );
  }

  /** The step / epoch switch above the charts: sets `view.x` and calls `redraw`. */
  function setupXToggle(redraw) {
    for (const button of document.querySelectorAll(".xmode button")) {
      button.addEventListener("click", () => {
        view.x = button.dataset.x;
        for (const b of document.querySelectorAll(".xmode button"))
          b.classList.toggle("on", b === button);
        redraw();
      });
    }
  }

  function updateCards(values) {
    const cards = document.getElementById("metrics");
    if (!cards) return;
    for (const [key, value] of Object.entries(values)) {
      let card = [...cards.querySelectorAll(".metric")].find((c) => c.dataset.metric === key);
      if (!card) {
        card = document.createElement("div");
        card.className = "metric";
        card.dataset.metric = key;
        card.innerHTML = '<span class="k"></span><span class="v"></span>';
        card.querySelector(".k").textContent = key;
        cards.appendChild(card);
      }
      card.dataset.value = String(value);
      card.querySelector(".v").textContent = fmt(value);
    }
  }

  function setStatus(status) {
    const badge = document.getElementById("status");
    if (!badge) return;
    badge.textContent = status;
    badge.dataset.status = status;
    badge.className = `status status-${status}`;
  }

  // Redraws at most every 250 ms: a run that logs every step must not keep the page busy.
  let drawTimer;
  let drawnAt = 0;
  function scheduleDraw() {
    if (drawTimer !== undefined) return;
    drawTimer = setTimeout(
      () => {
        drawTimer = undefined;
        drawnAt = Date.now();
        drawRunCharts();
      },
      Math.max(0, 250 - (Date.now() - drawnAt)),
    );
  }

  function follow() {
    if (!data.live) return;
    const url = `${data.live.events}${data.live.events.includes("?") ? "&" : "?"}from=${data.historyBytes}&index=${data.history.length}`;
    const source = new EventSource(url);
    source.addEventListener("history", (event) => {
      const rows = JSON.parse(event.data);
      data.history.push(...rows);
      const counter = document.getElementById("history-rows");
      if (counter) {
        counter.textContent = String(data.history.length);
        counter.dataset.rows = String(data.history.length);
      }
      for (const row of rows) updateCards(row.values);
      scheduleDraw();
    });
    source.addEventListener("status", (event) => {
      const record = JSON.parse(event.data);
      setStatus(record.status);
      if (record.summary) updateCards(record.summary);
    });
    window.tipiEvents = source;
  }

  // ---- sweeps -------------------------------------------------------------------------------

  function categories(values) {
    return [...new Set(values.map((v) => JSON.stringify(v)))].sort();
  }

  function drawParallel() {
    const host = document.getElementById("parallel");
    if (!host) return;
    const trials = data.trials.filter((t) => t.metric !== undefined);
    const axes = [
      ...data.params.map((p) => ({ ...p, get: (t) => t.params[p.key] })),
      {
        key: data.metric ? data.metric.name : "metric",
        numeric: true,
        log: false,
        get: (t) => t.metric,
      },
    ];
    if (trials.length === 0 || axes.length < 2) {
      host.textContent = "Not enough finished trials for parallel coordinates.";
      return;
    }
    const W = 1100;
    const H = 340;
    const top = 36;
    const bottom = 30;
    const left = 90;
    const step = (W - 2 * left) / (axes.length - 1);
    for (const axis of axes) {
      const values = trials.map(axis.get).filter((v) => v !== undefined);
      if (axis.numeric) {
        const t = (v) => (axis.log ? Math.log10(v) : v);
        const lo = Math.min(...values.map(t));
        const hi = Math.max(...values.map(t));
        axis.pos = (v) => (hi === lo ? 0.5 : (t(v) - lo) / (hi - lo));
        axis.ticks = [
          [0, Math.min(...values)],
          [1, Math.max(...values)],
        ];
      } else {
        const cats = categories(values);
        axis.pos = (v) =>
          cats.length === 1 ? 0.5 : cats.indexOf(JSON.stringify(v)) / (cats.length - 1);
        axis.ticks = cats.map((c, i) => [
          cats.length === 1 ? 0.5 : i / (cats.length - 1),
          JSON.parse(c),
        ]);
      }
    }
    const y = (p) => top + (1 - p) * (H - top - bottom);
    const metrics = trials.map((t) => t.metric);
    const lo = Math.min(...metrics);
    const hi = Math.max(...metrics);
    const goodHigh = !data.metric || data.metric.goal === "maximize";
    const color = (m) => {
      const q = hi === lo ? 1 : (m - lo) / (hi - lo);
      const good = goodHigh ? q : 1 - q;
      return `hsl(${Math.round(10 + good * 200)}, 75%, ${Math.round(55 - good * 15)}%)`;
    };
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const add = (name, attrs, text) => {
      const el = document.createElementNS(ns, name);
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
      if (text !== undefined) el.textContent = text;
      svg.appendChild(el);
      return el;
    };
    const sorted = [...trials].sort((a, b) =>
      goodHigh ? a.metric - b.metric : b.metric - a.metric,
    );
    for (const trial of sorted) {
      const pts = axes.map((axis, i) => {
        const v = axis.get(trial);
        return v === undefined ? null : `${left + i * step},${y(axis.pos(v)).toFixed(1)}`;
      });
      const line = add("polyline", {
        points: pts.filter(Boolean).join(" "),
        fill: "none",
        stroke: color(trial.metric),
        "stroke-width": 2,
        "stroke-opacity": 0.85,
        "data-trial": trial.id,
      });
      if (trial.status === "stopped") line.setAttribute("stroke-dasharray", "6 4");
      const title = document.createElementNS(ns, "title");
      title.textContent = `${trial.id} (${trial.status}): ${fmt(trial.metric)}`;
      line.appendChild(title);
    }
    axes.forEach((axis, i) => {
      const x = left + i * step;
      add("line", { x1: x, x2: x, y1: top, y2: H - bottom, stroke: "#374151", "stroke-width": 1 });
      const label = add("text", { x, y: top - 14, "text-anchor": "middle", "font-weight": 600 });
      label.textContent = axis.key.length > 26 ? `…${axis.key.split(".").at(-1)}` : axis.key;
      const full = document.createElementNS(ns, "title");
      full.textContent = axis.key;
      label.appendChild(full);
      for (const [p, v] of axis.ticks) {
        add(
          "text",
          { x: x + 4, y: y(p) + 4, "text-anchor": "start" },
          typeof v === "number" ? fmt(v) : String(v),
        );
      }
    });
    host.appendChild(svg);
    host.dataset.lines = String(trials.length);
  }

  function drawParamCharts() {
    const container = document.getElementById("param-charts");
    if (!container) return;
    const trials = data.trials.filter((t) => t.metric !== undefined);
    const metricName = data.metric ? data.metric.name : "metric";
    for (const param of data.params) {
      const withValue = trials.filter((t) => t.params[param.key] !== undefined);
      if (withValue.length === 0) continue;
      let xOf = (t) => t.params[param.key];
      let xValues;
      let xSplits;
      if (!param.numeric) {
        const cats = categories(withValue.map((t) => t.params[param.key]));
        xOf = (t) => cats.indexOf(JSON.stringify(t.params[param.key]));
        xValues = (_u, splits) =>
          splits.map((s) =>
            Number.isInteger(s) && cats[s] !== undefined ? JSON.parse(cats[s]) : "",
          );
        xSplits = () => cats.map((_c, i) => i);
      }
      const finished = withValue
        .filter((t) => t.status !== "stopped")
        .map((t) => [xOf(t), t.metric]);
      const stopped = withValue
        .filter((t) => t.status === "stopped")
        .map((t) => [xOf(t), t.metric]);
      const labels = stopped.length ? [metricName, `${metricName} (stopped)`] : [metricName];
      const aligned = alignPoints(stopped.length ? [finished, stopped] : [finished]);
      lineChart(container, `param:${param.key}`, `${metricName} by ${param.key}`, labels, aligned, {
        xLabel: param.key,
        xLog: param.log,
        scatter: true,
        height: 220,
        xValues,
        xSplits,
      });
    }
  }

  function drawCurves() {
    const container = document.getElementById("curve-charts");
    if (!container) return;
    const trials = data.trials.filter((t) => t.curve.length > 0);
    if (trials.length === 0) {
      container.textContent = "No trial logged the metric yet.";
      return;
    }
    const series = trials.map((t) => t.curve.map((v, i) => [i + 1, v]));
    lineChart(
      container,
      "curves",
      `${data.metric ? data.metric.name : "metric"} per iteration (dashed: stopped)`,
      trials.map((t) => t.id),
      align(series),
      {
        xLabel: "iteration",
        xIntegers: true,
        dash: trials.map((t) => t.status === "stopped"),
        points: true,
      },
    );
  }

  // ---- compare ------------------------------------------------------------------------------

  function drawCompare() {
    const container = document.getElementById("charts");
    if (!container) return;
    for (const chart of runCharts.values()) chart.chart.destroy();
    runCharts.clear();
    container.textContent = "";
    const keys = [
      ...new Set(data.runs.flatMap((r) => r.history.flatMap((p) => Object.keys(p.values)))),
    ];
    keys.sort((a, b) => groupRank(groupOf(a)) - groupRank(groupOf(b)) || a.localeCompare(b));
    for (const key of keys) {
      const series = data.runs.map((run) => {
        const xOf = xMapper(run.history, view.x);
        return run.history
          .filter((p) => p.values[key] !== undefined && xOf(p) !== null)
          .map((p) => [xOf(p), p.values[key]]);
      });
      if (series.every((s) => s.length === 0)) continue;
      const made = lineChart(
        container,
        key,
        key,
        data.runs.map((r) => r.label),
        align(series),
        {
          xLabel: view.x,
          xIntegers: view.x === "step",
        },
      );
      runCharts.set(key, made);
    }
  }

  // ---- pages that reload when their directory changes (the run list, a sweep) ----------------

  function watchChanges() {
    if (!data.watch) return;
    const source = new EventSource(data.watch);
    source.addEventListener("changed", () => {
      // Ticked runs would be lost by a reload: offer it instead.
      if (document.querySelector("input[type=checkbox]:checked")) {
        const notice = document.getElementById("changed");
        if (notice) notice.hidden = false;
        return;
      }
      location.reload();
    });
    window.tipiEvents = source;
  }

  // ---- start --------------------------------------------------------------------------------

  if (data.kind === "run") {
    drawRunCharts();
    setupXToggle(drawRunCharts);
    follow();
  } else if (data.kind === "sweep") {
    drawParallel();
    drawParamCharts();
    drawCurves();
  } else if (data.kind === "compare") {
    drawCompare();
    setupXToggle(drawCompare);
  }
  watchChanges();
  document.documentElement.dataset.ready = "true";
})();
