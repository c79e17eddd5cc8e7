/**
 * Loaded into each trial of `tipi agent`, `tipi sweep` and `runSweep` through `NODE_OPTIONS`
 * (see `parentWatchEnv`): when the process that started the trial is gone (killed with SIGKILL,
 * so it could not stop its trials), the trial gets SIGTERM and ends as `tipi run` ends on Ctrl-C
 * (checkpoint, cleanup), instead of running on unattended as an orphan.
 *
 * The trial's parent is `TIPI_WATCH_PID`. A direct child sees it die by being re-parented (a
 * killed parent that is not reaped yet still answers `kill(pid, 0)`); a trial behind a wrapper
 * (a shell) checks that the pid is alive. The variable and the `--import` are taken out of
 * this process's environment, so the trial's own child processes do not watch its parent.
 */
import { isProcessAlive } from "./process-alive.ts";

const self = `--import ${import.meta.url}`;
const options = process.env.NODE_OPTIONS;
if (options?.includes(self)) {
  const rest = options.replace(self, "").trim();
  if (rest === "") delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = rest;
}
const watched = Number(process.env.TIPI_WATCH_PID);
delete process.env.TIPI_WATCH_PID;
const parent = process.ppid;
const behindWrapper = Number.isInteger(watched) && watched > 0 && watched !== parent;

const parentGone = (): boolean =>
  behindWrapper ? !isProcessAlive(watched) : process.ppid !== parent;

const timer = setInterval(() => {
  if (parentGone()) {
    clearInterval(timer);
    process.kill(process.pid, "SIGTERM");
  }
}, 500);
timer.unref();
