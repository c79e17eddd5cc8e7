import { createRequire } from "node:module";
import type * as zod from "zod";

/**
 * zod's `z`, from its CommonJS build. The ES module build is ~230 files, and under the CLI's
 * TypeScript hooks each file is resolved and loaded through the hooks thread (~200 ms of
 * `tipi validate`); `require` loads the CommonJS build in-thread in ~90 ms. zod 4 schemas of
 * either build compose (its `instanceof` checks traits), so user schemas and ours mix.
 */
export const z: typeof zod.z = createRequire(import.meta.url)("zod").z;

/** zod's type helpers, beside the value (`z.input<typeof schema>`). */
export declare namespace z {
  type input<T> = zod.z.input<T>;
  type output<T> = zod.z.output<T>;
  type infer<T> = zod.z.infer<T>;
}
