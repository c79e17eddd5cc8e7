/**
 * Every way a run can fail, as one discriminated union on `kind`. Handle it exhaustively:
 *
 * @example
 * match(error).with({ kind: "step-failed" }, (e) => …).exhaustive()
 */
export type PipelineError =
  | {
      readonly kind: "step-failed";
      readonly step: string;
      readonly message: string;
      readonly cause: unknown;
    }
  | {
      readonly kind: "timed-out";
      readonly step: string;
      readonly message: string;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: "validation-failed";
      readonly step: string;
      readonly message: string;
      readonly issues: readonly { readonly path: string; readonly message: string }[];
    }
  | {
      readonly kind: "join-missing";
      readonly step: string;
      readonly message: string;
      readonly join: string;
    }
  | {
      readonly kind: "permanence-failed";
      readonly step: string;
      readonly message: string;
      readonly permanence: string;
      readonly phase: "create" | "initialize" | "validate" | "checkpoint" | "restore";
      readonly cause: unknown;
    }
  | {
      readonly kind: "cancelled";
      readonly step: string;
      readonly message: string;
      readonly reason: unknown;
    }
  | {
      readonly kind: "cleanup-failed";
      readonly step: string;
      readonly message: string;
      readonly failures: readonly { readonly permanence: string; readonly cause: unknown }[];
      /** The error that ended the run before cleanup, if any: it stays primary. */
      readonly primary?: PipelineError;
    }
  | {
      readonly kind: "hook-failed";
      readonly step: string;
      readonly message: string;
      readonly hook: string;
      readonly cause: unknown;
    };

export type PipelineErrorKind = PipelineError["kind"];
