/**
 * `tipi ui`'s web server: pages rendered from the run directories on every request (the same
 * pages as `tipi report`), and server-sent events that follow a run's files. Nothing is cached
 * or stored besides what the runs wrote.
 */
import { realpathSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { messageOf } from "@tipi/core";
import { listRuns } from "@tipi/wandb";
import { fmt, html, page, type RawHtml } from "../report/html.ts";
import { runPage, sweepPage } from "../report/pages.ts";
import { comparePage } from "../report/render-compare.ts";
import { statusBadge } from "../report/render-run.ts";
import { listSweepDirs } from "../report/resolve-report-target.ts";
import { looksLikeRun, readRunData, readRunOverview } from "../report/run-data.ts";
import { looksLikeSweep, readSweepData } from "../report/sweep-data.ts";
import { formatDuration } from "../ui/format.ts";
import { followRun } from "./follow-run.ts";
import { indexSignature, sweepSignature } from "./page-signature.ts";

export interface DashboardOptions {
  /** The runs root (`<root>/<pipeline>/<run-id>`, sweeps under `<root>/sweeps/`). */
  readonly root: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
}

export interface Dashboard {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith("127.");
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function nav(root: string): RawHtml {
  return html`<nav class="top"><a class="brand" href="/">tipi</a><a href="/">runs &amp; sweeps</a><span class="muted">${root}</span></nav>`;
}

/** Starts the dashboard; resolves once it listens. */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const root = resolve(options.root);
  const host = options.host ?? "127.0.0.1";
  const closers = new Set<() => void>();

  /** A directory under the root named by a query parameter; never one outside it. */
  const inRoot = (rel: string | null): string => {
    if (rel === null || rel === "") throw new HttpError(400, "missing ?dir=");
    const dir = resolve(root, rel);
    const outside = (from: string, to: string) => {
      const inside = relative(from, to);
      return inside.startsWith("..") || isAbsolute(inside) || inside.split(sep).includes("..");
    };
    // A symbolic link inside the root must not lead out of it either.
    const real = (path: string) => {
      try {
        return realpathSync(path);
      } catch {
        return path;
      }
    };
    if (outside(root, dir) || outside(real(root), real(dir)))
      throw new HttpError(403, "outside the runs directory");
    return dir;
  };
  const relOf = (dir: string) => relative(root, dir).split(sep).join("/");
  const runHref = (dir: string) => `/run?dir=${encodeURIComponent(relOf(dir))}`;

  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, {
      "content-type": type,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    res.end(body);
  };

  /**
   * Answers with a server-sent event stream opened by the comment `hello`, then calls `start`,
   * which writes the events and returns what stops it: run when the page goes away or the
   * dashboard closes.
   */
  const eventStream = (
    req: IncomingMessage,
    res: ServerResponse,
    hello: string,
    start: () => () => void,
  ) => {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write(`: ${hello}\n\n`);
    const stop = start();
    const close = () => {
      stop();
      closers.delete(close);
      res.end();
    };
    closers.add(close);
    req.on("close", close);
  };

  const routes: Record<string, (url: URL, req: IncomingMessage, res: ServerResponse) => void> = {
    "/": (_url, _req, res) => send(res, 200, "text/html; charset=utf-8", indexPage(root)),
    "/run": (url, _req, res) => {
      const dir = inRoot(url.searchParams.get("dir"));
      if (!looksLikeRun(dir)) throw new HttpError(404, `${relOf(dir)} is not a run directory`);
      const run = readRunData(dir);
      const events = `/events?dir=${encodeURIComponent(relOf(dir))}`;
      send(
        res,
        200,
        "text/html; charset=utf-8",
        runPage(run, { nav: nav(root), live: { events } }),
      );
    },
    "/sweep": (url, _req, res) => {
      const dir = inRoot(url.searchParams.get("dir"));
      if (!looksLikeSweep(dir)) throw new HttpError(404, `${relOf(dir)} is not a sweep directory`);
      const sweep = readSweepData(dir);
      send(
        res,
        200,
        "text/html; charset=utf-8",
        sweepPage(sweep, {
          nav: nav(root),
          watch: `/changes?dir=${encodeURIComponent(relOf(dir))}`,
          trialLink: (t) => (t.hasRunDir ? runHref(join(dir, "trials", t.id)) : undefined),
        }),
      );
    },
    "/compare": (url, _req, res) => {
      const dirs = url.searchParams.getAll("dir").map(inRoot);
      if (dirs.length < 2) throw new HttpError(400, "pick at least two runs to compare");
      const runs = dirs.map((dir) => {
        if (!looksLikeRun(dir)) throw new HttpError(404, `${relOf(dir)} is not a run directory`);
        return readRunData(dir);
      });
      // Oldest first, as `tipi runs --compare A B` reads: B is the newer run.
      runs.sort(
        (x, y) =>
          (x.createdAt ?? "").localeCompare(y.createdAt ?? "") || x.dir.localeCompare(y.dir),
      );
      send(
        res,
        200,
        "text/html; charset=utf-8",
        comparePage(runs, { nav: nav(root), runLink: (run) => runHref(run.dir) }),
      );
    },
    "/api/runs": (_url, _req, res) =>
      send(
        res,
        200,
        "application/json",
        JSON.stringify({
          runs: listRuns(root).map((r) => ({ ...r, dir: relOf(r.dir) })),
          sweeps: listSweepDirs(root).map(relOf),
        }),
      ),
    "/changes": (url, req, res) => {
      const sweepDir = url.searchParams.has("dir")
        ? inRoot(url.searchParams.get("dir"))
        : undefined;
      const signature = () => (sweepDir ? sweepSignature(sweepDir) : indexSignature(root));
      let last = signature();
      eventStream(req, res, "watching", () => {
        let ticks = 0;
        const poll = setInterval(() => {
          const now = signature();
          if (now !== last) {
            last = now;
            res.write("event: changed\ndata: {}\n\n");
          } else if (++ticks % 15 === 0) res.write(": keep-alive\n\n");
        }, 1000);
        return () => clearInterval(poll);
      });
    },
    "/events": (url, req, res) => {
      const dir = inRoot(url.searchParams.get("dir"));
      if (!looksLikeRun(dir)) throw new HttpError(404, `${relOf(dir)} is not a run directory`);
      const number = (name: string) => {
        const value = Number(url.searchParams.get(name) ?? 0);
        return Number.isInteger(value) && value >= 0 ? value : 0;
      };
      eventStream(req, res, "following", () => {
        const stop = followRun(dir, { from: number("from"), index: number("index") }, (update) => {
          if (update.history)
            res.write(`event: history\ndata: ${JSON.stringify(update.history)}\n\n`);
          if (update.status) res.write(`event: status\ndata: ${JSON.stringify(update.status)}\n\n`);
        });
        const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
        return () => {
          clearInterval(keepAlive);
          stop();
        };
      });
    },
  };

  const server = createServer((req, res) => {
    try {
      if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "GET only");
      // A page on another site must not reach this server through a rebound DNS name.
      const hostHeader = (req.headers.host ?? "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
      if (isLoopback(host) && !isLoopback(hostHeader))
        throw new HttpError(421, `unexpected Host ${hostHeader}`);
      const url = new URL(req.url ?? "/", "http://localhost");
      const route = routes[url.pathname];
      if (!route) throw new HttpError(404, `no page ${url.pathname}`);
      route(url, req, res);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      const message = messageOf(error);
      if (!res.headersSent)
        send(
          res,
          status,
          "text/html; charset=utf-8",
          page({
            title: `${status} · tipi`,
            body: html`<h1>${status}</h1><p>${message}</p><p><a href="/">all runs</a></p>`,
            data: { kind: "error" },
            nav: nav(root),
            live: true,
          }),
        );
      else res.end();
    }
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 6007, host, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const close of [...closers]) close();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

/** The list of runs (newest first, selectable for comparison) and sweeps. */
function indexPage(root: string): string {
  const runs = listRuns(root).reverse();
  const sweeps = listSweepDirs(root).map(readSweepData);
  const rel = (dir: string) => relative(root, dir).split(sep).join("/");
  const body = html`<header class="title"><h1>Runs</h1><p class="muted">${runs.length} runs and ${sweeps.length} sweeps under <code>${root}</code></p></header>
<form method="get" action="/compare" id="compare-form">
<div class="compare-bar"><button type="submit">Compare selected runs</button> <span class="muted">(two or more, on the same axes)</span> <a id="changed" href="/" hidden>runs changed: reload</a></div>
${
  runs.length === 0
    ? html`<p>No runs yet: <code>tipi run &lt;pipeline&gt; --runs ${root}</code> makes one.</p>`
    : html`<table class="data runs-list" id="runs"><thead><tr><th></th><th>pipeline</th><th>run</th><th>status</th><th>started</th><th>duration</th><th>metrics</th></tr></thead><tbody>${runs.map(
        (run) => {
          const data = readRunOverview(run.dir);
          const metrics = Object.entries(data.summary)
            .filter(([k]) => k.startsWith("test/") || k.startsWith("val"))
            .slice(0, 4);
          return html`<tr data-run="${rel(run.dir)}"><td><input type="checkbox" name="dir" value="${rel(run.dir)}" aria-label="select ${run.runId}"></td><td>${run.pipeline}</td><td><a href="/run?dir=${encodeURIComponent(rel(run.dir))}">${run.runId}</a></td><td>${statusBadge(data.status)}</td><td>${run.createdAt.replace("T", " ").slice(0, 19)}</td><td>${data.durationMs === undefined ? "-" : formatDuration(data.durationMs)}</td><td>${metrics.map(([k, v]) => html`<code>${k}=${fmt(v)}</code> `)}</td></tr>`;
        },
      )}</tbody></table>`
}
</form>
<h2>Sweeps</h2>
${
  sweeps.length === 0
    ? html`<p class="muted">No sweeps under <code>${root}/sweeps</code>.</p>`
    : html`<table class="data" id="sweeps"><thead><tr><th>sweep</th><th>status</th><th>trials</th><th>best</th></tr></thead><tbody>${sweeps.map(
        (s) => {
          const best = s.trials.find((t) => t.rank === 1);
          return html`<tr><td><a href="/sweep?dir=${encodeURIComponent(rel(s.dir))}">${s.title}</a></td><td>${statusBadge(s.status)}</td><td>${s.trials.length}</td><td>${best ? `${best.id} ${s.metric?.name ?? ""}=${fmt(best.metric)}` : "-"}</td></tr>`;
        },
      )}</tbody></table>`
}`;
  return page({
    title: "runs · tipi",
    body,
    data: { kind: "index", watch: "/changes" },
    nav: nav(root),
    live: true,
  });
}
