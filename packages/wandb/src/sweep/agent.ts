/**
 * Running under `wandb agent` (command mode): the agent starts the training command with the
 * trial's parameters as `--key=value` flags and names the run it created in the environment.
 */

/** The W&B run a sweep agent created for this process. */
export interface SweepAgentRun {
  /** `WANDB_RUN_ID`: pass it as the run id so the logger joins the agent's run. */
  readonly runId: string;
  readonly sweepId?: string;
  readonly project?: string;
  readonly entity?: string;
}

/**
 * The agent's run, when this process was started by a W&B sweep agent (`WANDB_SWEEP_ID` and
 * `WANDB_RUN_ID` set), else undefined.
 * @example
 * const agent = sweepAgentRun();
 * if (agent) console.log(`joining sweep ${agent.sweepId} as run ${agent.runId}`);
 */
export function sweepAgentRun(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SweepAgentRun | undefined {
  const runId = env.WANDB_RUN_ID?.trim();
  const sweepId = env.WANDB_SWEEP_ID?.trim();
  if (!runId || !sweepId) return undefined;
  const optional = (key: "project" | "entity", value: string | undefined) =>
    value ? { [key]: value } : {};
  return {
    runId,
    sweepId,
    ...optional("project", env.WANDB_PROJECT),
    ...optional("entity", env.WANDB_ENTITY),
  };
}
