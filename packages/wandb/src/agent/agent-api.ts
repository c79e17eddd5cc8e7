/**
 * The GraphQL calls of W&B's sweep protocol that tipi uses (docs/sweeps-across-machines.md
 * lists them): create a sweep, read it, register an agent, heartbeat. One attempt per call
 * with a hard timeout; {@link withRetry} adds the backoff.
 */
import { redactString } from "../store/redact.ts";

export interface AgentApiOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Every request is aborted after this long. Default 20 s. */
  readonly timeoutMs?: number;
  /** Aborts the request in flight (Ctrl-C of the agent). */
  readonly signal?: AbortSignal;
}

/** An HTTP answer other than 200 (`status`), or no answer at all (`status` 0). */
export class WandbRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "WandbRequestError";
  }

  /** Network errors, timeouts, 429 and 5xx are worth retrying; other 4xx are not. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** A controller command from a heartbeat (`run`, `resume`, `stop`, `exit`). */
export interface AgentCommand {
  readonly type: string;
  readonly run_id?: string;
  readonly program?: string;
  readonly args?: Readonly<Record<string, { readonly value: unknown }>>;
  readonly [key: string]: unknown;
}

export interface SweepInfo {
  /** The sweep's GraphQL id (for state changes). */
  readonly id: string;
  /** The sweep id users see (`entity/project/<name>`). */
  readonly name: string;
  readonly state?: string;
  /** The sweep config as YAML text. */
  readonly config: string;
}

export interface UpsertSweepInput {
  /** The sweep config as YAML text. */
  readonly config: string;
  readonly entity?: string;
  readonly project?: string;
  readonly description?: string;
  /** With `id`: change an existing sweep's state (`PAUSED`, `RUNNING`, `CANCELED`, …). */
  readonly id?: string;
  readonly state?: string;
}

export interface UpsertSweepResult {
  readonly name: string;
  readonly project?: string;
  readonly entity?: string;
  readonly warnings: readonly string[];
}

const VIEWER = "query Viewer { viewer { id entity } }";

const UPSERT_SWEEP = `mutation UpsertSweep($id: ID, $config: String, $description: String, $entityName: String, $projectName: String, $state: String) {
  upsertSweep(input: { id: $id, config: $config, description: $description, entityName: $entityName, projectName: $projectName, state: $state }) {
    sweep { name project { id name entity { id name } } }
    configValidationWarnings
  }
}`;

const SWEEP = `query SweepWithRuns($entity: String, $project: String, $sweep: String!) {
  project(name: $project, entityName: $entity) {
    sweep(sweepName: $sweep) { id name state config }
  }
}`;

const CREATE_AGENT = `mutation CreateAgent($host: String!, $projectName: String, $entityName: String, $sweep: String!) {
  createAgent(input: { host: $host, projectName: $projectName, entityName: $entityName, sweep: $sweep }) {
    agent { id }
  }
}`;

const HEARTBEAT = `mutation Heartbeat($id: ID!, $metrics: JSONString, $runState: JSONString) {
  agentHeartbeat(input: { id: $id, metrics: $metrics, runState: $runState }) {
    agent { id }
    commands
  }
}`;

/** W&B's sweep-agent protocol over HTTP, one call per method. */
export class AgentApi {
  readonly #baseUrl: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;

  constructor(options: AgentApiOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 20_000;
    this.#signal = options.signal;
  }

  /** The API key's default entity. */
  async viewer(): Promise<string> {
    const data = (await this.#graphql("Viewer", VIEWER, {})) as { viewer?: { entity?: string } };
    const entity = data.viewer?.entity;
    if (typeof entity !== "string" || entity === "")
      throw new WandbRequestError("W&B Viewer returned no entity", 200);
    return entity;
  }

  async upsertSweep(input: UpsertSweepInput): Promise<UpsertSweepResult> {
    const data = (await this.#graphql("UpsertSweep", UPSERT_SWEEP, {
      id: input.id,
      config: input.config,
      description: input.description,
      entityName: input.entity,
      projectName: input.project,
      state: input.state,
    })) as {
      upsertSweep?: {
        sweep?: { name?: string; project?: { name?: string; entity?: { name?: string } } };
        configValidationWarnings?: unknown;
      };
    };
    const sweep = data.upsertSweep?.sweep;
    if (typeof sweep?.name !== "string")
      throw new WandbRequestError("W&B UpsertSweep returned no sweep", 200);
    const warnings = data.upsertSweep?.configValidationWarnings;
    return {
      name: sweep.name,
      ...(sweep.project?.name ? { project: sweep.project.name } : {}),
      ...(sweep.project?.entity?.name ? { entity: sweep.project.entity.name } : {}),
      warnings: Array.isArray(warnings) ? warnings.map(String) : [],
    };
  }

  /** The sweep, or undefined when the server does not know it. */
  async sweep(entity: string, project: string, sweep: string): Promise<SweepInfo | undefined> {
    const data = (await this.#graphql("SweepWithRuns", SWEEP, { entity, project, sweep })) as {
      project?: { sweep?: Partial<SweepInfo> | null } | null;
    };
    const found = data.project?.sweep;
    if (!found || typeof found.id !== "string") return undefined;
    return {
      id: found.id,
      name: found.name ?? sweep,
      ...(found.state ? { state: found.state } : {}),
      config: typeof found.config === "string" ? found.config : "",
    };
  }

  /** Registers an agent; returns its id. */
  async createAgent(host: string, entity: string, project: string, sweep: string): Promise<string> {
    const data = (await this.#graphql("CreateAgent", CREATE_AGENT, {
      host,
      entityName: entity,
      projectName: project,
      sweep,
    })) as { createAgent?: { agent?: { id?: string } } };
    const id = data.createAgent?.agent?.id;
    if (typeof id !== "string") throw new WandbRequestError("W&B CreateAgent returned no id", 200);
    return id;
  }

  /** Reports the running runs (`{ runId: true }`) and returns the controller's commands. */
  async heartbeat(
    agentId: string,
    runState: Readonly<Record<string, boolean>>,
  ): Promise<AgentCommand[]> {
    const data = (await this.#graphql("Heartbeat", HEARTBEAT, {
      id: agentId,
      metrics: "{}",
      runState: JSON.stringify(runState),
    })) as { agentHeartbeat?: { commands?: unknown } };
    const commands = data.agentHeartbeat?.commands;
    const list = typeof commands === "string" ? (JSON.parse(commands) as unknown) : commands;
    return Array.isArray(list)
      ? list.filter((c): c is AgentCommand => typeof c === "object" && c !== null && "type" in c)
      : [];
  }

  async #graphql(
    operation: string,
    query: string,
    variables: Record<string, unknown>,
  ): Promise<unknown> {
    const url = `${this.#baseUrl}/graphql`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Basic ${Buffer.from(`api:${this.#apiKey}`).toString("base64")}`,
          "user-agent": "tipi-agent",
        },
        body: JSON.stringify({ query, variables, operationName: operation }),
        signal:
          this.#signal === undefined
            ? AbortSignal.timeout(this.#timeoutMs)
            : AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#signal]),
      });
    } catch (error) {
      const reason =
        error instanceof Error && error.name === "TimeoutError"
          ? `no answer in ${this.#timeoutMs} ms`
          : error instanceof Error
            ? error.cause instanceof Error
              ? error.cause.message
              : error.message
            : String(error);
      throw new WandbRequestError(this.#redact(`W&B ${operation}: ${reason}`), 0);
    }
    const text = await response.text().catch(() => "");
    if (response.status !== 200) {
      throw new WandbRequestError(
        this.#redact(`W&B ${operation}: HTTP ${response.status} ${text.slice(0, 200)}`),
        response.status,
      );
    }
    let reply: { data?: unknown; errors?: { message?: string }[] };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      throw new WandbRequestError(`W&B ${operation}: the answer is not JSON`, 200);
    }
    if (reply.errors !== undefined && reply.errors.length > 0) {
      throw new WandbRequestError(
        this.#redact(`W&B ${operation}: ${reply.errors.map((e) => e.message).join("; ")}`),
        200,
      );
    }
    return reply.data ?? {};
  }

  #redact(text: string): string {
    return redactString(text, { secrets: [this.#apiKey] });
  }
}

export interface RetryOptions {
  /** First wait after a failure. Default 1 s. */
  readonly initialMs?: number;
  /** Longest wait between attempts. Default 60 s. */
  readonly maxMs?: number;
  /** Give up after this many attempts. Default: never. */
  readonly attempts?: number;
  readonly signal?: AbortSignal;
  /** Called before each wait, with the failure and the wait. */
  readonly onRetry?: (error: WandbRequestError, waitMs: number, attempt: number) => void;
}

/**
 * Calls `fn` until it succeeds, waiting `initialMs`, then twice as long each time up to
 * `maxMs` (with ±20% jitter) after a retryable failure. Rethrows other failures, the last one
 * after `attempts`, and an abort.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof WandbRequestError) || !error.retryable) throw error;
      if (options.attempts !== undefined && attempt >= options.attempts) throw error;
      if (options.signal?.aborted) throw error;
      const base = Math.min(max, initial * 2 ** (attempt - 1));
      const wait = Math.round(base * (0.8 + Math.random() * 0.4));
      options.onRetry?.(error, wait, attempt);
      await sleep(wait, options.signal);
    }
  }
}

/** Resolves after `ms`, or early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
