import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { FakeSweepController, type FakeSweepControllerOptions } from "./fake-sweep-controller.ts";

/**
 * How the fake server misbehaves: `down` closes the port (connections are refused),
 * `graphql-500`/`filestream-500` answer those endpoints with HTTP 500, `stall` accepts
 * requests and never answers them (until `stallMs` passes or the server closes).
 */
export type FakeWandbMode = "healthy" | "down" | "graphql-500" | "filestream-500" | "stall";

/** A run as the fake server saw it. */
export interface FakeWandbRun {
  readonly entity: string;
  readonly project: string;
  readonly name: string;
  displayName?: string;
  config?: unknown;
  tags?: readonly string[];
  sweep?: string;
  /** History rows accepted (HTTP 200), by file_stream offset. */
  readonly history: Map<number, Record<string, unknown>>;
  /** Every offset accepted, in arrival order, duplicates included: for exactly-once checks. */
  readonly historyOffsets: number[];
  summary?: Record<string, unknown>;
  complete?: { readonly exitcode: number };
}

/** One request as it arrived, with the status it got (`undefined`: never answered). */
export interface FakeWandbRequest {
  readonly method: string;
  readonly path: string;
  readonly operation?: string;
  readonly mode: FakeWandbMode;
  /** When it arrived (ms since the epoch). */
  readonly at: number;
  status?: number;
}

export interface FakeWandbServerOptions {
  /** The entity `Viewer` returns. Default `"tipi-test"`. */
  readonly entity?: string;
  /** When set, requests without `Basic base64("api:" + apiKey)` get 401. */
  readonly apiKey?: string;
  readonly mode?: FakeWandbMode;
  /** How long a stalled request is held before its socket is destroyed. Default 30 s. */
  readonly stallMs?: number;
  /** How the sweep controller behaves (agent timeout, seed). */
  readonly sweeps?: FakeSweepControllerOptions;
}

/** A W&B server on 127.0.0.1 (random port) speaking the protocol of `@wandb/sdk` 0.5.1. */
export interface FakeWandbServer {
  /** `http://127.0.0.1:PORT`, for `WANDB_BASE_URL`. */
  readonly url: string;
  readonly port: number;
  readonly mode: FakeWandbMode;
  /** Switches the failure mode; `down` closes the port, leaving it reopens on the same port. */
  setMode(mode: FakeWandbMode): Promise<void>;
  readonly runs: ReadonlyMap<string, FakeWandbRun>;
  readonly requests: readonly FakeWandbRequest[];
  /** The sweep controller: sweeps, agents and their runs (UpsertSweep, CreateAgent, Heartbeat). */
  readonly controller: FakeSweepController;
  /** The only run, or the one named; throws if it is missing or ambiguous. */
  run(name?: string): FakeWandbRun;
  /** Resolves once `predicate()` holds (polled), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a fake W&B server for tests. Every request is bounded: stalled ones are dropped
 * after `stallMs`, and `close()` destroys every open connection.
 *
 * @example
 * const server = await startFakeWandbServer();
 * process.env.WANDB_BASE_URL = server.url;
 * // … log a run …
 * expect(server.run().history.size).toBe(10);
 * await server.close();
 */
export async function startFakeWandbServer(
  options: FakeWandbServerOptions = {},
): Promise<FakeWandbServer> {
  const entity = options.entity ?? "tipi-test";
  const stallMs = options.stallMs ?? 30_000;
  const expectedAuth =
    options.apiKey === undefined
      ? undefined
      : `Basic ${Buffer.from(`api:${options.apiKey}`).toString("base64")}`;
  const runs = new Map<string, FakeWandbRun>();
  const requests: FakeWandbRequest[] = [];
  const sockets = new Set<Socket>();
  const stallTimers = new Set<NodeJS.Timeout>();
  let mode: FakeWandbMode = "healthy";
  let port = 0;
  let closed = false;
  const controller = new FakeSweepController(
    entity,
    (runEntity, project, name) => runs.get(`${runEntity}/${project}/${name}`),
    options.sweeps,
  );

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, { error: "fake server error" });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const record: FakeWandbRequest = { method: req.method ?? "GET", path, mode, at: Date.now() };
    requests.push(record);
    if (mode === "stall") {
      const timer = setTimeout(() => {
        stallTimers.delete(timer);
        req.socket.destroy();
      }, stallMs);
      stallTimers.add(timer);
      return;
    }
    const body = await readBody(req);
    const respond = (status: number, payload: unknown) => {
      record.status = status;
      reply(res, status, payload);
    };
    if (expectedAuth !== undefined && req.headers.authorization !== expectedAuth) {
      respond(401, { error: "unauthorized" });
      return;
    }
    if (req.method === "POST" && path === "/graphql") {
      const { query, variables } = parseJson(body) as {
        query?: string;
        variables?: Record<string, unknown>;
      };
      const operation = /\b(?:query|mutation)\s+(\w+)/.exec(query ?? "")?.[1];
      Object.assign(record, { operation });
      if (mode === "graphql-500") return respond(500, { errors: [{ message: "fake 500" }] });
      if (operation === "Viewer") {
        return respond(200, {
          data: { viewer: { id: "viewer-1", entity, flags: "{}", teams: { edges: [] } } },
        });
      }
      if (operation === "UpsertBucket") return respond(200, upsertBucket(variables ?? {}));
      const answer = controller.handle(operation, variables ?? {}) as
        | { status?: number }
        | undefined;
      if (answer !== undefined) return respond(answer.status ?? 200, answer);
      return respond(400, { errors: [{ message: `unknown operation ${String(operation)}` }] });
    }
    const fileStream = /^\/files\/([^/]+)\/([^/]+)\/([^/]+)\/file_stream$/.exec(path);
    if (req.method === "POST" && fileStream !== null) {
      if (mode === "filestream-500") return respond(500, { error: "fake 500" });
      const [, runEntity, project, name] = fileStream as unknown as [
        string,
        string,
        string,
        string,
      ];
      const run = ensureRun(runEntity, project, name);
      acceptFileStream(run, parseJson(body) as FileStreamBody);
      return respond(200, { exitcode: null, limits: {} });
    }
    respond(404, { error: "not found" });
  }

  function upsertBucket(variables: Record<string, unknown>) {
    const runEntity = String(variables.entity || entity);
    const project = String(variables.project || "uncategorized");
    const name = String(variables.name ?? "");
    const run = ensureRun(runEntity, project, name);
    if (typeof variables.displayName === "string") run.displayName = variables.displayName;
    if (typeof variables.config === "string") run.config = parseJson(variables.config);
    if (Array.isArray(variables.tags)) run.tags = variables.tags.map(String);
    if (typeof variables.sweep === "string") run.sweep = variables.sweep;
    return {
      data: {
        upsertBucket: {
          bucket: {
            id: `bucket-${name}`,
            name,
            displayName: run.displayName ?? name,
            description: null,
            config: variables.config ?? "{}",
            sweepName: null,
            project: {
              id: `project-${project}`,
              name: project,
              entity: { id: `entity-${runEntity}`, name: runEntity },
            },
          },
          inserted: true,
        },
      },
    };
  }

  function ensureRun(runEntity: string, project: string, name: string): FakeWandbRun {
    const key = `${runEntity}/${project}/${name}`;
    let run = runs.get(key);
    if (run === undefined) {
      run = { entity: runEntity, project, name, history: new Map(), historyOffsets: [] };
      runs.set(key, run);
    }
    return run;
  }

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        const address = server.address();
        if (address !== null && typeof address === "object") port = address.port;
        resolve();
      });
    });

  const stopListening = () =>
    new Promise<void>((resolve) => {
      for (const timer of stallTimers) clearTimeout(timer);
      stallTimers.clear();
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen();
  if (options.mode !== undefined && options.mode !== "healthy") await setMode(options.mode);

  async function setMode(next: FakeWandbMode): Promise<void> {
    if (closed) throw new Error("fake W&B server is closed");
    const wasDown = mode === "down";
    mode = next;
    if (next === "down" && !wasDown) await stopListening();
    if (next !== "down" && wasDown) await listen();
    if (mode !== "stall") {
      for (const timer of stallTimers) clearTimeout(timer);
      stallTimers.clear();
    }
  }

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    setMode,
    runs,
    requests,
    controller,
    run(name?: string) {
      const matches = [...runs.values()].filter((run) => name === undefined || run.name === name);
      if (matches.length !== 1)
        throw new Error(
          `expected one fake W&B run${name ? ` named ${name}` : ""}, found ${matches.length}`,
        );
      return matches[0] as FakeWandbRun;
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error("fake W&B server: condition not met in time");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await stopListening();
    },
  };
}

interface FileStreamBody {
  files?: Record<string, { content?: string[]; offset?: number }>;
  complete?: boolean;
  exitcode?: number;
}

function acceptFileStream(run: FakeWandbRun, body: FileStreamBody): void {
  const history = body.files?.["wandb-history.jsonl"];
  if (history?.content !== undefined) {
    const offset = history.offset ?? 0;
    history.content.forEach((line, i) => {
      run.history.set(offset + i, parseJson(line) as Record<string, unknown>);
      run.historyOffsets.push(offset + i);
    });
  }
  const summary = body.files?.["wandb-summary.json"]?.content?.at(-1);
  if (summary !== undefined) run.summary = parseJson(summary) as Record<string, unknown>;
  if (body.complete === true) run.complete = { exitcode: body.exitcode ?? 0 };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

function reply(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { "content-type": "application/json", connection: "close" });
  res.end(JSON.stringify(payload));
}
