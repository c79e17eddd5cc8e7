export { COMMANDS, type CommandDef, GLOBAL_OPTIONS, type OptionDef } from "./cli/definitions.ts";
export { EXIT, type ExitCode, UsageError } from "./cli/errors.ts";
export { cliReferenceMarkdown, commandHelp, mainHelp } from "./cli/help.ts";
export { type Override, type ParsedArgs, parseArgs } from "./cli/parse-args.ts";
export { type LoadedPipeline, type LoadOptions, loadPipeline } from "./config/load-pipeline.ts";
export {
  applyOverrides,
  type OverrideKeyProblem,
  resolveOverrideKey,
  type TypedOverride,
  typeOverride,
} from "./config/overrides.ts";
export { PIPELINE_KEYS } from "./config/pipeline-table.ts";
export { type ConfigProblem, ConfigProblems, formatProblems } from "./config/problems.ts";
export { listPipelines, resolveTarget, type Target } from "./config/resolve-target.ts";
export { TomlDocument } from "./config/toml-document.ts";
export { type SourcePosition, TomlLocations } from "./config/toml-locator.ts";
export { main } from "./main.ts";
export { JsonRenderer } from "./ui/json-renderer.ts";
export { PlainRenderer } from "./ui/plain-renderer.ts";
export { ProgressModel } from "./ui/progress-model.ts";
