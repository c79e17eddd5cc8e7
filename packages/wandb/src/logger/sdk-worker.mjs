// The child process that runs `@wandb/sdk` (see sdk-process.ts). Plain JavaScript on
// purpose: it starts without a TypeScript loader, which halves its start-up, and it works
// however @tipi/wandb itself is loaded. Messages follow sdk-protocol.ts.
//
// The SDK can hang for minutes (GraphQL retries, stalled requests) and keeps the process
// alive until `finish()`, so it never runs in the training process: the parent talks to it
// over IPC and SIGKILLs it on a timeout. The SDK ignores file_stream failures, so this
// worker watches its HTTP requests (node-fetch over `http.request`) and reports which
// history offsets got an HTTP 200.
import http from "node:http";
import https from "node:https";

/** @param {import("./sdk-protocol.ts").ChildMessage} message */
function send(message) {
  process.send?.(message);
}

/** @param {typeof http | typeof https} module */
function watchFileStream(module) {
  const original = module.request.bind(module);
  /** @type {(...args: any[]) => http.ClientRequest} */
  const patched = (...args) => {
    const request = original(...args);
    const first = args[0];
    const path =
      typeof first === "object" && first !== null && "path" in first ? String(first.path) : "";
    if (!path.endsWith("/file_stream")) return request;
    /** @type {Buffer[]} */
    const chunks = [];
    const write = request.write.bind(request);
    const end = request.end.bind(request);
    /** @param {unknown} chunk */
    const collect = (chunk) => {
      if (typeof chunk === "string" || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    request.write = (...a) => {
      collect(a[0]);
      return write(...a);
    };
    request.end = (...a) => {
      if (typeof a[0] !== "function") collect(a[0]);
      return end(...a);
    };
    /** @param {number} status */
    const report = (status) => reportFileStream(Buffer.concat(chunks).toString("utf8"), status);
    request.once("response", (response) => report(response.statusCode ?? 0));
    request.once("error", () => report(0));
    return request;
  };
  module.request = patched;
}

/**
 * @param {string} body
 * @param {number} status
 */
function reportFileStream(body, status) {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    return;
  }
  const history = parsed?.files?.["wandb-history.jsonl"];
  if (Array.isArray(history?.content) && history.content.length > 0) {
    const from = history.offset ?? 0;
    send({ type: "history", from, to: from + history.content.length, status });
  }
  if (parsed?.complete === true) send({ type: "complete", exitCode: parsed.exitcode ?? 0, status });
}

watchFileStream(http);
watchFileStream(https);

// Loading the SDK takes a while: start now, while the parent prepares the init message.
const sdk = import("@wandb/sdk");
/** @type {any} */
let run;

process.on("message", (/** @type {import("./sdk-protocol.ts").ParentMessage} */ message) => {
  handle(message).catch((error) => {
    const text = error instanceof Error ? error.message : String(error);
    send({ type: message.type === "finish" ? "finish:error" : "init:error", message: text });
  });
});

/** @param {import("./sdk-protocol.ts").ParentMessage} message */
async function handle(message) {
  switch (message.type) {
    case "init": {
      const { default: wandb } = await sdk;
      const { options } = message;
      run = await wandb.init({
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
      });
      send({ type: "init:ok", id: run.id, entity: run.entity, project: run.project });
      return;
    }
    case "log":
      for (const row of message.rows) run?.log({ ...row.values }, row.index);
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
