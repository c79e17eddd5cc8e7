import type { StepContext } from "../types/context.ts";
import type { TipiEvent } from "../types/events.ts";
import type { RunState } from "./run-state.ts";

/** @internal Permanences visible to a (sub-)pipeline: its own, then its parent's. */
export interface Scope {
  readonly perms: Map<string, unknown>;
  readonly parent: Scope | undefined;
}

export function lookup(scope: Scope, name: string): { found: boolean; value: unknown } {
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
    if (s.perms.has(name)) return { found: true, value: s.perms.get(name) };
  }
  return { found: false, value: undefined };
}

function names(scope: Scope): string[] {
  const out: string[] = [];
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) out.push(...s.perms.keys());
  return out;
}

/** @internal The context a step receives. Cheap to create: the methods live on the prototype. */
export class RunStepContext implements StepContext<Record<string, unknown>> {
  constructor(
    readonly run: RunState,
    readonly scope: Scope,
    readonly step: string,
    readonly signal: AbortSignal,
  ) {}

  get runId(): string {
    return this.run.runId;
  }

  get runDir(): string | undefined {
    return this.run.runDir;
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
