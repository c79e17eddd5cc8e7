import type { TipiEvent } from "@tipi/core";

/** Draws a run from its events. */
export interface RunRenderer {
  onEvent(event: TipiEvent): void;
  /** Stops drawing (bars are left in their final state). */
  stop(): Promise<void>;
}

/** Where a renderer writes; tests pass a buffer, the CLI passes process.stdout. */
export interface TextSink {
  write(text: string): void;
}
