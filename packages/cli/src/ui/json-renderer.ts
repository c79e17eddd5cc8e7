import type { TipiEvent } from "@tipi/core";
import type { RunRenderer, TextSink } from "./renderer.ts";

/** Every event as one JSON line (`--json`). Errors and BigInts become plain JSON. */
export class JsonRenderer implements RunRenderer {
  constructor(readonly out: TextSink) {}

  onEvent(event: TipiEvent): void {
    this.out.write(`${toJsonLine(event)}\n`);
  }

  async stop(): Promise<void> {}
}

/** JSON.stringify that survives Errors, BigInts and cycles. */
export function toJsonLine(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (v instanceof Error) return { name: v.name, message: v.message };
    if (typeof v === "object" && v !== null) {
      if (seen.has(v)) return "[circular]";
      seen.add(v);
    }
    if (typeof v === "function") return undefined;
    return v;
  });
}
