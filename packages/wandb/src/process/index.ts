export { parentWatchEnv, parentWatchModule, WATCH_PID_ENV } from "./parent-watch-module.ts";
export { isProcessAlive } from "./process-alive.ts";
