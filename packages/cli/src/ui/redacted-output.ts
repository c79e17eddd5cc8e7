import { redactString } from "@tipi/wandb/redact";

/**
 * Scrubs secrets (the W&B key, see `redactSecrets`) from everything this process writes to its
 * stdout and stderr: tipi's own messages, the renderers, and whatever a user's step prints. One
 * redaction for both streams, installed once at start-up. A write is scrubbed as a whole: a key is
 * not split across two writes by anything tipi prints.
 */
export function redactProcessOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(scrubChunk(chunk), ...rest)) as typeof stream.write;
  }
}

function scrubChunk(chunk: unknown): unknown {
  if (typeof chunk === "string") return redactString(chunk);
  if (!(chunk instanceof Uint8Array)) return chunk;
  // Bytes are passed on untouched unless they hold a secret.
  const text = Buffer.from(chunk).toString("utf8");
  const scrubbed = redactString(text);
  return scrubbed === text ? chunk : scrubbed;
}
