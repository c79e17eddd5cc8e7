import {
  postToWandb,
  queryWandb,
  viewerEntity,
  type WandbEndpoint,
  wandbEndpoint,
} from "../api/wandb-request.ts";

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

const UPSERT_BUCKET = `mutation UpsertBucket($name: String, $project: String, $entity: String, $displayName: String, $config: JSONString, $tags: [String!], $sweep: String) {
  upsertBucket(input: { name: $name, modelName: $project, entityName: $entity, displayName: $displayName, config: $config, tags: $tags, sweep: $sweep }) {
    bucket { id name displayName }
    inserted
  }
}`;

/**
 * The three W&B endpoints `@wandb/sdk` 0.5.1 uses (FACTS.md), spoken directly: one attempt
 * per call, a hard timeout, and an error on any non-200 answer ({@link postToWandb}). Used by {@link syncRun},
 * which must know exactly what the server accepted (the SDK does not say).
 */
export class WandbClient {
  readonly #endpoint: WandbEndpoint;
  readonly #timeoutMs: number;
  readonly #deadline: number | undefined;

  constructor(options: WandbClientOptions) {
    this.#endpoint = wandbEndpoint(options.baseUrl, options.apiKey, "tipi-sync");
    this.#timeoutMs = options.timeoutMs;
    this.#deadline = options.deadline;
  }

  /** The default entity of the API key's user. */
  async viewer(): Promise<string> {
    return viewerEntity(this.#endpoint, { timeoutMs: this.#timeoutLeft("/graphql") });
  }

  async upsertRun(input: UpsertRunInput): Promise<void> {
    await queryWandb(
      this.#endpoint,
      "UpsertBucket",
      UPSERT_BUCKET,
      {
        name: input.name,
        project: input.project,
        entity: input.entity,
        displayName: input.displayName,
        config: JSON.stringify(input.config ?? {}),
        tags: input.tags,
        sweep: input.sweep,
      },
      { timeoutMs: this.#timeoutLeft("/graphql") },
    );
  }

  async fileStream(
    entity: string,
    project: string,
    run: string,
    body: FileStreamBody,
  ): Promise<void> {
    const path = `/files/${encodeURIComponent(entity)}/${encodeURIComponent(project)}/${encodeURIComponent(run)}/file_stream`;
    await postToWandb(this.#endpoint, path, body, {
      label: `POST ${this.#endpoint.baseUrl}${path}`,
      timeoutMs: this.#timeoutLeft(path),
    });
  }

  /** The request timeout, cut to what is left of the sync's time budget. */
  #timeoutLeft(path: string): number {
    const left =
      this.#deadline === undefined ? Number.POSITIVE_INFINITY : this.#deadline - Date.now();
    if (left <= 0)
      throw new Error(
        `POST ${this.#endpoint.baseUrl}${path}: not sent, the sync's time budget is spent`,
      );
    return Math.max(1, Math.min(this.#timeoutMs, left));
  }
}
