/**
 * Loaded into each trial of `tipi agent` and of `tipi sweep` with `node --import` (see
 * `parentWatchArgs`): when the process that started the trial is gone (killed with SIGKILL, so it
 * could not stop its trials), the trial gets SIGTERM and ends as `tipi run` ends on Ctrl-C
 * (checkpoint, cleanup), instead of running on unattended as an orphan.
 */
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid !== parent) {
    clearInterval(timer);
    process.kill(process.pid, "SIGTERM");
  }
}, 500);
timer.unref();
