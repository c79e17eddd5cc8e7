export {
  AgentApi,
  type AgentApiOptions,
  type AgentCommand,
  type SweepInfo,
  type UpsertSweepInput,
  type UpsertSweepResult,
} from "./agent-api.ts";
export {
  type AgentRunArgs,
  argumentMacros,
  type ExpandOptions,
  expandCommand,
  pythonFloat,
  pythonJson,
  pythonStr,
  TIPI_DEFAULT_COMMAND,
  type TipiRunLine,
  tipiRunLine,
  WANDB_DEFAULT_COMMAND,
} from "./command-line.ts";
export {
  DISABLE_FLAPPING_ENV,
  type EarlyFailureRule,
  type EarlyFailureRules,
  EarlyFailureWatch,
  earlyFailureRules,
  MAX_INITIAL_FAILURES_ENV,
} from "./early-failures.ts";
export {
  AgentError,
  type AgentLaunch,
  type AgentLauncher,
  type AgentOutcome,
  type AgentTrial,
  type AgentTrialStatus,
  flatArgs,
  type RunAgentOptions,
  runAgent,
} from "./run-agent.ts";
export {
  parseSweepPath,
  type SweepForServer,
  type SweepPath,
  sweepForServer,
} from "./sweep-upload.ts";
