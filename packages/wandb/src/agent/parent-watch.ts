/**
 * Loaded into each trial of `tipi agent` with `node --import`: when the agent that started the
 * trial is gone (killed with SIGKILL, so it could not stop its trials), the trial gets SIGTERM and
 * ends as `tipi run` ends on Ctrl-C (checkpoint, cleanup), instead of running on unattended.
 */
const agent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid !== agent) {
    clearInterval(timer);
    process.kill(process.pid, "SIGTERM");
  }
}, 500);
timer.unref();
