// The one W&B request both the agent and `tipi sync` make, against a real HTTP server on
// 127.0.0.1: what it sends, and how each kind of failure reads.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  postToWandb,
  queryWandb,
  WandbRequestError,
  wandbEndpoint,
} from "../src/api/wandb-request.ts";

const KEY = "requestkey".repeat(4);
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A server answering every request with `answer`; resolves with its endpoint and what it got. */
async function serve(answer: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const seen: { headers: IncomingMessage["headers"]; url: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ headers: req.headers, url: req.url ?? "", body });
      answer(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => server.close());
  const { port } = server.address() as AddressInfo;
  return { endpoint: wandbEndpoint(`http://127.0.0.1:${port}/`, KEY, "tipi-test"), seen };
}

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("it did not fail");
    },
    (error: unknown) => error as WandbRequestError,
  );

describe("postToWandb and queryWandb", () => {
  it("POST JSON with Basic auth (user api) and the user agent; GraphQL data comes back", async () => {
    const { endpoint, seen } = await serve((_req, _body, res) =>
      res.end(JSON.stringify({ data: { viewer: { entity: "me" } } })),
    );
    const data = await queryWandb(
      endpoint,
      "Viewer",
      "query Viewer { viewer { entity } }",
      {},
      {
        timeoutMs: 5000,
      },
    );
    expect(data).toEqual({ viewer: { entity: "me" } });
    expect(seen[0]?.url).toBe("/graphql"); // the base URL's trailing slash was dropped
    expect(seen[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from(`api:${KEY}`).toString("base64")}`,
    );
    expect(seen[0]?.headers["user-agent"]).toBe("tipi-test");
    expect(JSON.parse(seen[0]?.body ?? "")).toMatchObject({
      operationName: "Viewer",
      variables: {},
    });
  });

  it("an HTTP error keeps its status (5xx retryable, 4xx not) and never shows the key", async () => {
    let status = 503;
    const { endpoint } = await serve((_req, _body, res) => {
      res.statusCode = status;
      res.end(`bad key ${KEY}`);
    });
    const options = { label: "POST file_stream", timeoutMs: 5000 };
    const unavailable = await caught(postToWandb(endpoint, "/files/x", {}, options));
    expect(unavailable).toBeInstanceOf(WandbRequestError);
    expect([unavailable.status, unavailable.retryable]).toEqual([503, true]);
    expect(unavailable.message).toMatch(/^POST file_stream: HTTP 503 bad key /);
    expect(unavailable.message).not.toContain(KEY);
    status = 401;
    const refused = await caught(postToWandb(endpoint, "/files/x", {}, options));
    expect([refused.status, refused.retryable]).toEqual([401, false]);
  });

  it("GraphQL errors and an answer that is not JSON are errors with status 200", async () => {
    let answer = JSON.stringify({ errors: [{ message: "no such sweep" }, { message: "again" }] });
    const { endpoint } = await serve((_req, _body, res) => res.end(answer));
    const query = () => caught(queryWandb(endpoint, "Sweep", "query", {}, { timeoutMs: 5000 }));
    const listed = await query();
    expect([listed.message, listed.status, listed.retryable]).toEqual([
      "W&B Sweep: no such sweep; again",
      200,
      false,
    ]);
    answer = "<html>proxy error</html>";
    expect((await query()).message).toBe("W&B Sweep: the answer is not JSON");
  });

  it("no answer is status 0 (retryable): a timeout says how long it waited", async () => {
    const { endpoint } = await serve(() => {}); // never answers
    const silent = await caught(queryWandb(endpoint, "Heartbeat", "q", {}, { timeoutMs: 200 }));
    expect([silent.message, silent.status, silent.retryable]).toEqual([
      "W&B Heartbeat: no answer in 200 ms",
      0,
      true,
    ]);
    const closed = wandbEndpoint("http://127.0.0.1:9", KEY, "tipi-test");
    const refused = await caught(
      postToWandb(closed, "/graphql", {}, { label: "X", timeoutMs: 2000 }),
    );
    expect([refused.status, refused.retryable]).toEqual([0, true]);
    expect(refused.message).toMatch(/^X: /);
  });
});
