/**
 * The GraphQL calls of W&B's sweep protocol that tipi uses (docs/sweeps-across-machines.md
 * lists them): create a sweep, read it, register an agent, heartbeat. One attempt per call
 * with a hard timeout ({@link queryWandb}); {@link withRetry} adds the backoff.
 */
import {
  queryWandb,
  viewerEntity,
  type WandbEndpoint,
  WandbRequestError,
  wandbEndpoint,
} from "../api/wandb-request.ts";

export interface AgentApiOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Every request is aborted after this long. Default 20 s. */
  readonly timeoutMs?: number;
  /** Aborts the request in flight (Ctrl-C of the agent). */
  readonly signal?: AbortSignal;
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
  readonly #endpoint: WandbEndpoint;
  readonly #request: { readonly timeoutMs: number; readonly signal?: AbortSignal };

  constructor(options: AgentApiOptions) {
    this.#endpoint = wandbEndpoint(options.baseUrl, options.apiKey, "tipi-agent");
    this.#request = {
      timeoutMs: options.timeoutMs ?? 20_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
  }

  /** The API key's default entity. */
  viewer(): Promise<string> {
    return viewerEntity(this.#endpoint, this.#request);
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

  #graphql(operation: string, query: string, variables: Record<string, unknown>): Promise<unknown> {
    return queryWandb(this.#endpoint, operation, query, variables, this.#request);
  }
}
