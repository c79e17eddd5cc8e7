import type { AugmentRecipe } from "./augment-recipe.ts";

/** The batch loader thread's `workerData`: the samples, shared with the training thread. */
export interface LoaderInit {
  readonly images: SharedArrayBuffer;
  readonly labels: SharedArrayBuffer;
  readonly length: number;
  readonly shape?: readonly [number, number, number];
}

/** Training thread → loader. */
export type LoaderRequest =
  | {
      readonly type: "epoch";
      readonly id: number;
      readonly order: Int32Array;
      readonly batchSize: number;
      readonly startBatch: number;
      readonly prefetch: number;
      readonly seed?: number;
      readonly recipe?: AugmentRecipe;
    }
  /** One batch of epoch `id` consumed: the loader may build one more. */
  | { readonly type: "ack"; readonly id: number }
  /** Epoch `id` abandoned (interrupt, early end). */
  | { readonly type: "stop"; readonly id: number };

/** Loader → training thread. */
export type LoaderMessage =
  | {
      readonly type: "batch";
      readonly id: number;
      readonly index: number;
      readonly xs: Float32Array;
      readonly ys: Int32Array;
      readonly size: number;
    }
  | { readonly type: "end"; readonly id: number }
  | { readonly type: "error"; readonly id: number; readonly message: string };
