import { redactString } from "../store/redact.ts";

export interface WandbClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Every request is aborted after this long. */
  readonly timeoutMs: number;
  /** No request starts or runs past this time (epoch ms). */
  readonly deadline?: number;
}

export interface UpsertRunInput {
  readonly name: string;
  readonly project: string;
  readonly entity: string;
  readonly displayName?: string;
  readonly config: unknown;
  readonly tags?: readonly string[];
  readonly sweep?: string;
}

export interface FileStreamBody {
  readonly files?: Record<string, { readonly offset: number; readonly content: readonly string[] }>;
  readonly complete?: boolean;
  readonly exitcode?: number;
}

const VIEWER = "query Viewer { viewer { id entity } }";
const UPSERT_BUCKET = `mutation UpsertBucket($name: String, $project: String, $entity: String, $displayName: String, $config: JSONString, $tags: [String!], $sweep: String) {
  upsertBucket(input: { name: $name, modelName: $project, entityName: $entity, displayName: $displayName, config: $config, tags: $tags, sweep: $sweep }) {
    bucket { id name displayName }
    inserted
  }
}`;

/**
 * The three W&B endpoints `@wandb/sdk` 0.5.1 uses (FACTS.md), spoken directly: one attempt
 * per call, a hard timeout, and an error on any non-200 answer. Used by {@link syncRun},
 * which must know exactly what the server accepted (the SDK does not say).
 */
export class WandbClient {
  readonly #options: WandbClientOptions;

  constructor(options: WandbClientOptions) {
    this.#options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, "") };
  }

  /** The default entity of the API key's user. */
  async viewer(): Promise<string> {
    const data = (await this.#graphql("Viewer", VIEWER, {})) as { viewer?: { entity?: string } };
    const entity = data.viewer?.entity;
    if (typeof entity !== "string" || entity === "")
      throw new Error("W&B Viewer returned no entity");
    return entity;
  }

  async upsertRun(input: UpsertRunInput): Promise<void> {
    await this.#graphql("UpsertBucket", UPSERT_BUCKET, {
      name: input.name,
      project: input.project,
      entity: input.entity,
      displayName: input.displayName,
      config: JSON.stringify(input.config ?? {}),
      tags: input.tags,
      sweep: input.sweep,
    });
  }

  async fileStream(
    entity: string,
    project: string,
    run: string,
    body: FileStreamBody,
  ): Promise<void> {
    const path = `/files/${encodeURIComponent(entity)}/${encodeURIComponent(project)}/${encodeURIComponent(run)}/file_stream`;
    await this.#post(path, body);
  }

  async #graphql(
    operation: string,
    query: string,
    variables: Record<string, unknown>,
  ): Promise<unknown> {
    const reply = (await this.#post("/graphql", {
      query,
      variables,
      operationName: operation,
    })) as {
      data?: unknown;
      errors?: { message?: string }[];
    };
    if (reply.errors !== undefined && reply.errors.length > 0) {
      throw new Error(`W&B ${operation} failed: ${reply.errors.map((e) => e.message).join("; ")}`);
    }
    return reply.data ?? {};
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    const { baseUrl, apiKey, deadline } = this.#options;
    const url = `${baseUrl}${path}`;
    const left = deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now();
    if (left <= 0) throw new Error(`POST ${url}: not sent, the sync's time budget is spent`);
    const timeoutMs = Math.max(1, Math.min(this.#options.timeoutMs, left));
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Basic ${Buffer.from(`api:${apiKey}`).toString("base64")}`,
          "user-agent": "tipi-sync",
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      const reason =
        error instanceof Error && error.name === "TimeoutError"
          ? `no answer in ${timeoutMs} ms`
          : cause;
      throw new Error(this.#redact(`POST ${url}: ${reason}`));
    }
    const text = await response.text().catch(() => "");
    if (response.status !== 200) {
      throw new Error(this.#redact(`POST ${url}: HTTP ${response.status} ${text.slice(0, 200)}`));
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return {};
    }
  }

  #redact(text: string): string {
    return redactString(text, { secrets: [this.#options.apiKey] });
  }
}
