export { type SyncError, type SyncOptions, type SyncReport, syncRun } from "./sync-run.ts";
export {
  type IndexRange,
  readSyncState,
  SYNC_STATE_FILE,
  type WandbSyncState,
} from "./sync-state.ts";
