/**
 * Whether a process with this pid exists (`kill(pid, 0)`); one of another user's, which we may
 * not signal (EPERM), counts as alive. A killed process its parent has not reaped yet does too.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
