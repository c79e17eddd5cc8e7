/**
 * The child process that runs `@wandb/sdk`. The SDK can hang for minutes (GraphQL retries,
 * stalled requests) and keeps the process alive until `finish()`, so it never runs in the
 * training process: the parent talks to it over IPC and SIGKILLs it on a timeout.
 *
 * The SDK ignores file_stream failures, so this worker watches its HTTP requests (the SDK
 * uses node-fetch over `http.request`) and reports which history offsets got an HTTP 200.
 */
import http from "node:http";
import https from "node:https";
import type { ChildMessage, ParentMessage } from "./sdk-protocol.ts";

type WandbRun = {
  id: string;
  entity: string;
  project: string;
  log(data: Record<string, unknown>, step?: number): void;
  finish(code?: number): Promise<void>;
};

function send(message: ChildMessage): void {
  process.send?.(message);
}

function watchFileStream(module: typeof http | typeof https): void {
  const original = module.request.bind(module) as (...args: unknown[]) => http.ClientRequest;
  const patched = (...args: unknown[]): http.ClientRequest => {
    const request = original(...args);
    const first = args[0];
    const path =
      typeof first === "object" && first !== null && "path" in first ? String(first.path) : "";
    if (!path.endsWith("/file_stream")) return request;
    const chunks: Buffer[] = [];
    const write = request.write.bind(request) as (...a: unknown[]) => boolean;
    const end = request.end.bind(request) as (...a: unknown[]) => http.ClientRequest;
    const collect = (chunk: unknown) => {
      if (typeof chunk === "string" || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    (request as { write: unknown }).write = (...a: unknown[]) => {
      collect(a[0]);
      return write(...a);
    };
    (request as { end: unknown }).end = (...a: unknown[]) => {
      if (typeof a[0] !== "function") collect(a[0]);
      return end(...a);
    };
    const report = (status: number) =>
      reportFileStream(Buffer.concat(chunks).toString("utf8"), status);
    request.once("response", (response) => report(response.statusCode ?? 0));
    request.once("error", () => report(0));
    return request;
  };
  (module as { request: unknown }).request = patched;
}

function reportFileStream(body: string, status: number): void {
  let parsed: {
    files?: Record<string, { offset?: number; content?: unknown[] }>;
    complete?: boolean;
    exitcode?: number;
  };
  try {
    parsed = JSON.parse(body);
  } catch {
    return;
  }
  const history = parsed.files?.["wandb-history.jsonl"];
  if (history?.content !== undefined && history.content.length > 0) {
    const from = history.offset ?? 0;
    send({ type: "history", from, to: from + history.content.length, status });
  }
  if (parsed.complete === true) send({ type: "complete", exitCode: parsed.exitcode ?? 0, status });
}

watchFileStream(http);
watchFileStream(https);

let run: WandbRun | undefined;

process.on("message", (raw) => {
  const message = raw as ParentMessage;
  handle(message).catch((error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    send({ type: message.type === "finish" ? "finish:error" : "init:error", message: text });
  });
});

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case "init": {
      const { default: wandb } = await import("@wandb/sdk");
      const { options } = message;
      const started = (await wandb.init({
        id: options.id,
        project: options.project,
        entity: options.entity,
        name: options.name,
        config: options.config,
        settings: {
          apiKey: process.env.WANDB_API_KEY ?? "",
          baseUrl: options.baseUrl,
          offline: false,
        },
      } as Parameters<typeof wandb.init>[0])) as unknown as WandbRun;
      run = started;
      send({ type: "init:ok", id: started.id, entity: started.entity, project: started.project });
      return;
    }
    case "log":
      run?.log({ ...message.values }, message.index);
      return;
    case "finish":
      if (run !== undefined) await run.finish(message.exitCode);
      send({ type: "finish:ok" });
      process.disconnect?.();
      return;
  }
}

// The parent is gone (it finished, or died): nothing can be reported any more, so stop.
process.on("disconnect", () => process.exit(0));

// The SDK throws from event handlers when the server fails; report it instead of a stack dump.
process.on("uncaughtException", (error) => {
  send({ type: "init:error", message: error.message });
  process.exit(1);
});
