import type { StepContext } from "../types/context.ts";
import type { TipiEvent } from "../types/events.ts";
import type { IoAttempt } from "./io-attempt.ts";
import type { RunState } from "./run-state.ts";

/** @internal A lookup chain of permanences: a (sub-)pipeline's own, then its parent's. */
export interface PermanenceLookup {
  readonly perms: Map<string, unknown>;
  readonly parent: PermanenceLookup | undefined;
}

export function lookup(scope: PermanenceLookup, name: string): { found: boolean; value: unknown } {
  for (let s: PermanenceLookup | undefined = scope; s !== undefined; s = s.parent) {
    if (s.perms.has(name)) return { found: true, value: s.perms.get(name) };
  }
  return { found: false, value: undefined };
}

function names(scope: PermanenceLookup): string[] {
  const out: string[] = [];
  for (let s: PermanenceLookup | undefined = scope; s !== undefined; s = s.parent)
    out.push(...s.perms.keys());
  return out;
}

/** @internal The context a step receives. Cheap to create: the methods live on the prototype. */
export class RunStepContext implements StepContext<Record<string, unknown>> {
  constructor(
    readonly run: RunState,
    readonly scope: PermanenceLookup,
    readonly step: string,
    /** An `io` attempt with a timeout, which has a signal of its own. */
    readonly attempt?: IoAttempt,
  ) {}

  get signal(): AbortSignal {
    return this.attempt === undefined ? this.run.signal : this.attempt.signal;
  }

  get runId(): string {
    return this.run.runId;
  }

  get runDir(): string | undefined {
    return this.run.runDir;
  }

  has(name: string): boolean {
    return lookup(this.scope, name).found;
  }

  get(name: string): unknown {
    const hit = lookup(this.scope, name);
    if (!hit.found) {
      const known = names(this.scope);
      throw new Error(
        `no permanence named "${name}" (provided: ${known.length ? known.join(", ") : "none"})`,
      );
    }
    return hit.value;
  }

  emit(event: TipiEvent): void {
    this.run.emit(event);
  }
}
