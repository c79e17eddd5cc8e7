/**
 * The wandb agent's two rules for giving up on a sweep whose trials keep failing
 * (`Agent.is_flapping` and `Agent.is_failing` in wandb's `wandb_agent.py`), with its environment
 * variables and defaults, so that `tipi agent` stops where `wandb agent` would:
 *
 * - **flapping**: the agent has been up less than 60 s and 3 of its trials have failed. Off with
 *   `WANDB_AGENT_DISABLE_FLAPPING=true` (exactly `true`, as wandb reads it).
 * - **failing**: `WANDB_AGENT_MAX_INITIAL_FAILURES` (default 5) trials have failed and at most
 *   one ended otherwise (wandb's check is `failed >= finished`, where `finished` counts the
 *   trials that ended before the latest failure). Not affected by the flapping switch.
 */

/** Which rule stopped the agent. */
export type EarlyFailureRule = "flapping" | "failing";

export interface EarlyFailureRules {
  /** The flapping rule is on. Default: unless `WANDB_AGENT_DISABLE_FLAPPING=true`. */
  readonly flapping: boolean;
  /** Failures that count as flapping. Default 3, as the wandb agent. */
  readonly flappingFailures: number;
  /** How long after the agent's start failures count as flapping. Default 60 s, as the wandb agent. */
  readonly flappingWindowMs: number;
  /** Failures with at most one other ending that stop the agent. Default `WANDB_AGENT_MAX_INITIAL_FAILURES`, else 5. */
  readonly maxInitialFailures: number;
}

export const DISABLE_FLAPPING_ENV = "WANDB_AGENT_DISABLE_FLAPPING";
export const MAX_INITIAL_FAILURES_ENV = "WANDB_AGENT_MAX_INITIAL_FAILURES";

/**
 * The rules as the environment sets them. A `WANDB_AGENT_MAX_INITIAL_FAILURES` that is not a
 * whole number ≥ 0 throws (the wandb agent silently takes 5 instead).
 */
export function earlyFailureRules(
  env: Readonly<Record<string, string | undefined>> = process.env,
): EarlyFailureRules {
  const raw = env[MAX_INITIAL_FAILURES_ENV]?.trim();
  let maxInitialFailures = 5;
  if (raw !== undefined && raw !== "") {
    if (!/^\+?\d+$/.test(raw))
      throw new RangeError(
        `${MAX_INITIAL_FAILURES_ENV} must be a whole number of trials, got "${env[MAX_INITIAL_FAILURES_ENV]}"`,
      );
    maxInitialFailures = Number(raw);
  }
  return {
    flapping: env[DISABLE_FLAPPING_ENV] !== "true",
    flappingFailures: 3,
    flappingWindowMs: 60_000,
    maxInitialFailures,
  };
}

/** Counts how the agent's trials ended and says when one of the rules stops it. */
export class EarlyFailureWatch {
  #failed = 0;
  #others = 0;

  constructor(
    readonly rules: EarlyFailureRules,
    /** When the agent started (ms since the epoch). */
    readonly startedAt: number = Date.now(),
  ) {}

  get failed(): number {
    return this.#failed;
  }

  /** Trials that ended any other way (finished, stopped by the controller). */
  get others(): number {
    return this.#others;
  }

  /** Records a trial's end; returns the rule that stops the agent now, if one does. */
  ended(failed: boolean, now: number = Date.now()): EarlyFailureRule | undefined {
    if (!failed) {
      this.#others++;
      return undefined;
    }
    this.#failed++;
    const { flapping, flappingFailures, flappingWindowMs, maxInitialFailures } = this.rules;
    if (flapping && now < this.startedAt + flappingWindowMs && this.#failed >= flappingFailures)
      return "flapping";
    // wandb: failed >= finished, `finished` being every trial that ended before this one.
    if (this.#failed >= maxInitialFailures && this.#others <= 1) return "failing";
    return undefined;
  }

  /**
   * Why the agent stops, in three lines: the rule, the last failure (`lastFailure`: which run,
   * why, and where its log is) and how to go on.
   */
  message(rule: EarlyFailureRule, lastFailure: string): string {
    const { flappingWindowMs, maxInitialFailures } = this.rules;
    const others =
      this.#others === 0 ? "none ended otherwise" : `only ${this.#others} ended otherwise`;
    const [head, advice] =
      rule === "flapping"
        ? [
            `${this.#failed} trials failed within the agent's first ${flappingWindowMs / 1000} s: stopping`,
            `Set ${DISABLE_FLAPPING_ENV}=true to keep going.`,
          ]
        : [
            `${this.#failed} trials failed and ${others} (${MAX_INITIAL_FAILURES_ENV}=${maxInitialFailures}): stopping`,
            `Set ${MAX_INITIAL_FAILURES_ENV} higher to allow more.`,
          ];
    return `${head}\n  the last: ${lastFailure}\n${advice}`;
  }
}
