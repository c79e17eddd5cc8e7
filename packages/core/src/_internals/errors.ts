import type { PipelineError } from "../types/errors.ts";
import { describeCause } from "./error-message.ts";

type Issue = { readonly path: string; readonly message: string };
type CleanupFailure = { readonly permanence: string; readonly cause: unknown };

/** Constructors for every {@link PipelineError} kind, with readable messages. */
export const errors = {
  stepFailed(step: string, cause: unknown): PipelineError {
    return {
      kind: "step-failed",
      step,
      message: `step "${step}" failed: ${describeCause(cause)}`,
      cause,
    };
  },
  timedOut(step: string, timeoutMs: number): PipelineError {
    return {
      kind: "timed-out",
      step,
      timeoutMs,
      message: `step "${step}" timed out after ${timeoutMs} ms`,
    };
  },
  validationFailed(step: string, issues: readonly Issue[], what = "the state"): PipelineError {
    const list = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
    return {
      kind: "validation-failed",
      step,
      issues,
      message: `${what} failed validation at "${step}": ${list}`,
    };
  },
  joinMissing(step: string, join: string): PipelineError {
    return {
      kind: "join-missing",
      step,
      join,
      message: `join "${join}" has no implementation: call provideJoin("${join}", …) before run()`,
    };
  },
  permanenceFailed(
    permanence: string,
    phase: "create" | "initialize" | "validate" | "checkpoint" | "restore",
    cause: unknown,
  ): PipelineError {
    return {
      kind: "permanence-failed",
      step: phase,
      permanence,
      phase,
      cause,
      message: `permanence "${permanence}" failed to ${phase}: ${describeCause(cause)}`,
    };
  },
  cancelled(step: string, reason: unknown): PipelineError {
    return {
      kind: "cancelled",
      step,
      reason,
      message: `cancelled during "${step}": ${describeCause(reason)}`,
    };
  },
  cleanupFailed(failures: readonly CleanupFailure[], primary?: PipelineError): PipelineError {
    const list = failures.map((f) => `"${f.permanence}": ${describeCause(f.cause)}`).join("; ");
    return {
      kind: "cleanup-failed",
      step: "cleanup",
      failures,
      ...(primary === undefined ? {} : { primary }),
      message: `cleanup failed for ${list}`,
    };
  },
  hookFailed(step: string, hook: string, cause: unknown): PipelineError {
    return {
      kind: "hook-failed",
      step,
      hook,
      cause,
      message: `hook "${hook}" failed after "${step}": ${describeCause(cause)}`,
    };
  },
};

/** Carries a nested pipeline's error through a step boundary unchanged. */
export class NestedFailure {
  constructor(readonly error: PipelineError) {}
}
