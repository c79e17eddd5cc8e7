/** IPC messages between {@link SdkProcess} (parent) and `sdk-worker.mjs` (the child). */

export interface SdkInitOptions {
  readonly id: string;
  readonly project: string;
  readonly entity?: string;
  readonly name?: string;
  readonly config: Record<string, unknown>;
  readonly baseUrl: string;
}

export type ParentMessage =
  | { readonly type: "init"; readonly options: SdkInitOptions }
  /** History rows in order; `index` is the row's `_index`, logged as the SDK's step. */
  | {
      readonly type: "log";
      readonly rows: readonly {
        readonly index: number;
        readonly values: Record<string, unknown>;
      }[];
    }
  | { readonly type: "finish"; readonly exitCode: number };

export type ChildMessage =
  | {
      readonly type: "init:ok";
      readonly id: string;
      readonly entity: string;
      readonly project: string;
    }
  | { readonly type: "init:error"; readonly message: string }
  /** A file_stream request carrying history offsets [from, to) got `status` (0: no answer). */
  | {
      readonly type: "history";
      readonly from: number;
      readonly to: number;
      readonly status: number;
    }
  | { readonly type: "complete"; readonly exitCode: number; readonly status: number }
  | { readonly type: "finish:ok" }
  | { readonly type: "finish:error"; readonly message: string };
