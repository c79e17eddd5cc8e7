import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readHistory, WandBLogger, type WandBLoggerOptions } from "../src/index.ts";
import type { FakeWandbServer } from "../src/testing/index.ts";

/** A recognisable fake key: any file holding it is a leak. */
export const API_KEY = "local-tipitest0123456789abcdef0123456789abcd";

export function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), "tipi-wandb-"));
}

/** Every byte written under `dir`, as one string. */
export function everythingWritten(dir: string): string {
  let text = "";
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += `${readFileSync(join(entry.parentPath, entry.name), "utf8")}\n`;
  }
  return text;
}

/** Short timeouts so failure cases stay fast. */
export function loggerFor(
  server: FakeWandbServer,
  root: string,
  extra: Partial<WandBLoggerOptions> = {},
): WandBLogger {
  return new WandBLogger({
    mode: "online",
    project: "tipi-tests",
    baseUrl: server.url,
    apiKey: API_KEY,
    root,
    pipeline: "wandb-test",
    config: { lr: 0.01, layers: [32, 10], wandb: { api_key: API_KEY } },
    tags: ["test"],
    timeouts: { initMs: 30_000, finishMs: 4_000, requestMs: 1_000 },
    ...extra,
  });
}

export function logRows(logger: WandBLogger, from: number, to: number): void {
  for (let step = from; step < to; step++) {
    logger.log({ loss: 1 / (step + 1), acc: step / 100 }, { step, epoch: Math.floor(step / 5) });
  }
}

/** Asserts the fake server holds each local history row exactly once, with its values. */
export function expectExactlyOnce(server: FakeWandbServer, runDir: string, runName: string): void {
  const rows = readHistory(runDir);
  const run = server.run(runName);
  const sorted = [...run.historyOffsets].sort((a, b) => a - b);
  const expected = rows.map((row) => row._index);
  if (JSON.stringify(sorted) !== JSON.stringify(expected)) {
    throw new Error(
      `offsets received ${JSON.stringify(run.historyOffsets)}, expected each of ${JSON.stringify(expected)} once`,
    );
  }
  for (const row of rows) {
    const received = run.history.get(row._index);
    for (const [key, value] of Object.entries(row.values)) {
      if (received?.[key] !== value)
        throw new Error(
          `row ${row._index}: ${key} = ${String(received?.[key])}, expected ${value}`,
        );
    }
    if (received?._step !== row._index)
      throw new Error(`row ${row._index}: _step ${String(received?._step)}`);
  }
}
