export { parentWatchArgs, parentWatchModule } from "./parent-watch-module.ts";
