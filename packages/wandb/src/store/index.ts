export { readJson, readJsonl } from "./jsonl.ts";
export { listRuns, type RunInfo, resolveRunDir } from "./list-runs.ts";
export {
  REDACTED,
  type RedactOptions,
  redactSecrets,
  redactString,
  registerSecret,
  registerSecretsIn,
  SECRET_KEY_PATTERN,
  SECRET_NAME_PATTERN,
  SecretScrubber,
} from "./redact.ts";
export { isValidRunId, newRunId } from "./run-id.ts";
export {
  type CreateRunOptions,
  type HistoryRow,
  RUN_FILES,
  type RunMeta,
  type RunStatus,
  type RunStatusRecord,
  RunStore,
  readHistory,
  type StoredHistoryRow,
} from "./run-store.ts";
export { attemptEach, RunStoreWriteError } from "./write-error.ts";
