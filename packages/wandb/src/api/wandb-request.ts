/**
 * One HTTP request to W&B, as both `tipi agent`'s sweep protocol ({@link AgentApi}) and
 * `tipi sync` ({@link WandbClient}) speak it: a JSON POST with HTTP Basic auth (user `api`), one
 * attempt with a hard timeout, the API key redacted from every message, and a
 * {@link WandbRequestError} that says whether trying again can help ({@link withRetry}).
 */
import { redactString } from "../store/redact.ts";

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

/** Where the requests go and as whom. */
export interface WandbEndpoint {
  /** `https://api.wandb.ai`, without a trailing slash (see {@link wandbEndpoint}). */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** The `user-agent` header: which part of tipi asks. */
  readonly userAgent: string;
}

/** An endpoint for `baseUrl` (a trailing slash dropped), as `userAgent`. */
export function wandbEndpoint(baseUrl: string, apiKey: string, userAgent: string): WandbEndpoint {
  return { baseUrl: baseUrl.replace(/\/+$/, ""), apiKey, userAgent };
}

export interface WandbPostOptions {
  /** How errors begin (`W&B Heartbeat`, `POST https://…/file_stream`). */
  readonly label: string;
  /** The request is aborted after this long. */
  readonly timeoutMs: number;
  /** Aborts the request in flight as well. */
  readonly signal?: AbortSignal;
}

/**
 * POSTs `body` as JSON to `endpoint.baseUrl + path` and returns the answer's text.
 * @throws WandbRequestError with status 0 when no answer came (network error, timeout, abort),
 * or with the HTTP status when it was not 200.
 */
export async function postToWandb(
  endpoint: WandbEndpoint,
  path: string,
  body: unknown,
  options: WandbPostOptions,
): Promise<string> {
  const { label, timeoutMs, signal } = options;
  let response: Response;
  try {
    response = await fetch(`${endpoint.baseUrl}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Basic ${Buffer.from(`api:${endpoint.apiKey}`).toString("base64")}`,
        "user-agent": endpoint.userAgent,
      },
      body: JSON.stringify(body),
      signal:
        signal === undefined
          ? AbortSignal.timeout(timeoutMs)
          : AbortSignal.any([AbortSignal.timeout(timeoutMs), signal]),
    });
  } catch (error) {
    throw new WandbRequestError(
      redact(endpoint, `${label}: ${noAnswerReason(error, timeoutMs)}`),
      0,
    );
  }
  const text = await response.text().catch(() => "");
  if (response.status !== 200) {
    throw new WandbRequestError(
      redact(endpoint, `${label}: HTTP ${response.status} ${text.slice(0, 200)}`),
      response.status,
    );
  }
  return text;
}

/**
 * Runs a GraphQL `operation` at `/graphql` and returns its `data` (`{}` when it has none).
 * @throws WandbRequestError as {@link postToWandb} does, and with status 200 when the answer is
 * not JSON or lists errors.
 */
export async function queryWandb(
  endpoint: WandbEndpoint,
  operation: string,
  query: string,
  variables: Record<string, unknown>,
  options: Omit<WandbPostOptions, "label">,
): Promise<unknown> {
  const label = `W&B ${operation}`;
  const text = await postToWandb(
    endpoint,
    "/graphql",
    { query, variables, operationName: operation },
    { ...options, label },
  );
  let reply: { data?: unknown; errors?: { message?: string }[] };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch {
    throw new WandbRequestError(`${label}: the answer is not JSON`, 200);
  }
  if (reply.errors !== undefined && reply.errors.length > 0) {
    throw new WandbRequestError(
      redact(endpoint, `${label}: ${reply.errors.map((e) => e.message).join("; ")}`),
      200,
    );
  }
  return reply.data ?? {};
}

const VIEWER = "query Viewer { viewer { id entity } }";

/** The default entity of the API key's user (W&B's `Viewer` query). */
export async function viewerEntity(
  endpoint: WandbEndpoint,
  options: Omit<WandbPostOptions, "label">,
): Promise<string> {
  const data = (await queryWandb(endpoint, "Viewer", VIEWER, {}, options)) as {
    viewer?: { entity?: string };
  };
  const entity = data.viewer?.entity;
  if (typeof entity !== "string" || entity === "")
    throw new WandbRequestError("W&B Viewer returned no entity", 200);
  return entity;
}

/** Why fetch got no answer: the timeout, or the network error's cause. */
function noAnswerReason(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return `no answer in ${timeoutMs} ms`;
  return error.cause instanceof Error ? error.cause.message : error.message;
}

function redact(endpoint: WandbEndpoint, text: string): string {
  return redactString(text, { secrets: [endpoint.apiKey] });
}
