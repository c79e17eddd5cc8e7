export { type SweepAgentRun, sweepAgentRun } from "./agent.ts";
export { formatSweepWarnings, sweepDeprecations } from "./config/deprecations.ts";
export {
  formatIssue,
  SweepConfigError,
  type SweepConfigIssue,
  SweepDirectoryError,
} from "./config/errors.ts";
export { loadSweepConfig, parseSweepConfigText } from "./config/load-config.ts";
export { type ParseContext, parseSweepConfig } from "./config/parse-config.ts";
export type {
  DistributionName,
  HyperbandConfig,
  ParameterSpec,
  SweepConfig,
  SweepMethod,
  SweepMetric,
  SweepParameter,
} from "./config/types.ts";
export { type RunSweepOptions, runSweep, type SweepOutcome } from "./controller/run-sweep.ts";
export {
  bestTrial,
  formatParamCell,
  formatSweepTable,
  rankTrials,
} from "./controller/summary.ts";
export {
  readSweepState,
  type SweepState,
  type TrialRecord,
  type TrialStatus,
} from "./controller/sweep-state.ts";
export {
  defaultTrialCommand,
  type TrialCommand,
  type TrialCommandFactory,
  type TrialCommandInput,
} from "./controller/trial-process.ts";
export { gridValues, ppf, toUnit } from "./search/distributions.ts";
export {
  type HyperbandDecision,
  type HyperbandTrial,
  hyperbandBands,
  hyperbandStop,
} from "./search/hyperband.ts";
export { createRng } from "./search/math.ts";
export {
  formatFlagValue,
  nestParams,
  paramsToSetFlags,
  paramValue,
  type TrialParams,
} from "./search/params.ts";
export { planTrials, type SweepPlan } from "./search/plan.ts";
export { parameterSamples } from "./search/samples.ts";
export {
  createSearch,
  type Search,
  type SearchOptions,
  sampleParams,
  type TrialObservation,
} from "./search/search.ts";
export { parseYaml11, resolvePlainScalar } from "./source/yaml11.ts";
