/**
 * @internal One shared timer wheel for step timeouts.
 *
 * A per-attempt `setTimeout` + `clearTimeout` allocates a timer object and touches Node's
 * timer lists on every step. Steps run one at a time and nearly always finish long before
 * their timeout, so here a deadline is an entry in a FIFO per duration (entries of one
 * duration expire in the order they were added), cancelling the newest entry just pops it,
 * and one Node timer per duration, started only when none is pending, fires at the oldest
 * live entry's deadline. A timer that fires early (its entry was cancelled) re-arms for the
 * next live one.
 */

/** Something with a deadline: `onDeadline()` is called at `at` unless cancelled first. */
export interface Deadline {
  /** Set by {@link startDeadline}: `performance.now()` when it expires. */
  at: number;
  live: boolean;
  onDeadline(): void;
}

interface Bucket {
  readonly entries: Deadline[];
  timer: ReturnType<typeof setTimeout> | undefined;
}

const buckets = new Map<number, Bucket>();

function onTimer(bucket: Bucket): void {
  bucket.timer = undefined;
  const now = performance.now();
  const { entries } = bucket;
  let expired = 0;
  while (expired < entries.length && entries[expired]!.at <= now) expired++;
  const due = entries.splice(0, expired);
  dropCancelledHead(entries);
  const next = entries[0];
  if (next !== undefined) bucket.timer = setTimeout(onTimer, Math.max(1, next.at - now), bucket);
  for (const d of due) {
    if (!d.live) continue;
    d.live = false;
    d.onDeadline();
  }
}

function dropCancelledHead(entries: Deadline[]): void {
  let dead = 0;
  while (dead < entries.length && !entries[dead]!.live) dead++;
  if (dead > 0) entries.splice(0, dead);
}

/** Calls `entry.onDeadline()` in `ms` unless {@link cancelDeadline} comes first. */
export function startDeadline(entry: Deadline, ms: number): void {
  let bucket = buckets.get(ms);
  if (bucket === undefined) {
    bucket = { entries: [], timer: undefined };
    buckets.set(ms, bucket);
  }
  entry.at = performance.now() + ms;
  entry.live = true;
  bucket.entries.push(entry);
  if (bucket.timer === undefined) bucket.timer = setTimeout(onTimer, ms, bucket);
  else if (!bucket.timer.hasRef()) bucket.timer.ref();
}

/** Cancels a deadline; the common case (the newest one of its duration) costs a pop. */
export function cancelDeadline(entry: Deadline, ms: number): void {
  if (!entry.live) return;
  entry.live = false;
  const bucket = buckets.get(ms);
  if (bucket === undefined) return;
  const { entries } = bucket;
  while (entries.length > 0 && !entries[entries.length - 1]!.live) entries.pop();
  // Nothing left to time: a pending timer must not keep the process alive on its own.
  if (entries.length === 0 && bucket.timer !== undefined) bucket.timer.unref();
}
