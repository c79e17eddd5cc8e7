import type { RetryPolicy } from "../graph/step-node.ts";

/** The delay before retry number `attempt` (1-based). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const { initialMs, factor, maxMs, jitter } = policy.backoff;
  const raw = Math.min(maxMs, initialMs * factor ** (attempt - 1));
  return Math.round(jitter ? raw * (0.5 + Math.random() / 2) : raw);
}
