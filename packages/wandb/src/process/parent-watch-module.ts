/** How a trial is told to end when the process that started it dies (see `parent-watch.ts`). */
import { existsSync } from "node:fs";

/** The variable naming the process a trial watches: any trial command may honour it. */
export const WATCH_PID_ENV = "TIPI_WATCH_PID";

/**
 * The `node --import` URL of `parent-watch.js` (beside this file in `dist`), which ends a trial
 * whose parent (`tipi agent`, `tipi sweep`, `runSweep`) died; undefined when running from
 * TypeScript sources, where it is not built.
 */
export function parentWatchModule(): string | undefined {
  const url = new URL("./parent-watch.js", import.meta.url);
  return import.meta.url.endsWith(".js") && existsSync(url) ? url.href : undefined;
}

/**
 * What a trial's environment gets so that it ends when this process dies (SIGKILL, a crash):
 * {@link WATCH_PID_ENV} with this pid, and `--import <parent-watch.js>` added to `nodeOptions`
 * (the trial's `NODE_OPTIONS`), so that every Node trial watches without being told, whatever
 * its command line (`tipi run`, a custom `trialCommand`, behind a shell). From
 * TypeScript sources only the variable.
 */
export function parentWatchEnv(nodeOptions: string | undefined): Record<string, string> {
  const watch = parentWatchModule();
  const env: Record<string, string> = { [WATCH_PID_ENV]: String(process.pid) };
  if (watch !== undefined)
    env.NODE_OPTIONS = [nodeOptions, `--import ${watch}`].filter(Boolean).join(" ");
  return env;
}
