import { currentRun } from "@tipi/core";

/** The part of tfjs-core's engine this module touches. */
interface VariableEngine {
  makeVariable(...args: never[]): unknown;
  readonly state: { readonly registeredVariables: Record<string, Disposable> };
}
interface Disposable {
  readonly isDisposed: boolean;
  dispose(): void;
}

/** Which permanence owns each tfjs variable: the `device` of the run whose step created it. */
const owners = new WeakMap<object, object>();
const PATCHED = Symbol.for("tipi.variableOwners");

/**
 * Makes every tfjs variable created from now on remember the run it was created in: the
 * permanence that run provides as `device`. Patches the engine (one per process, shared by every
 * copy of tfjs-core) once. Variables made outside a run's steps (a script's own, a model built
 * while permanences initialise) belong to no run.
 */
export function trackVariableOwners(engine: VariableEngine): void {
  const patched = engine as VariableEngine & { [PATCHED]?: true };
  if (patched[PATCHED]) return;
  const makeVariable = engine.makeVariable;
  patched.makeVariable = function (this: VariableEngine, ...args: never[]) {
    const variable = makeVariable.apply(this, args);
    const run = currentRun();
    if (run?.has("device") && typeof variable === "object" && variable !== null) {
      const device: unknown = run.get("device");
      if (typeof device === "object" && device !== null) owners.set(variable, device);
    }
    return variable;
  };
  patched[PATCHED] = true;
}

/** Disposes the live variables `owner`'s runs created; returns how many. */
export function disposeVariablesOf(engine: VariableEngine, owner: object): number {
  let disposed = 0;
  for (const variable of Object.values(engine.state.registeredVariables)) {
    if (owners.get(variable) !== owner || variable.isDisposed) continue;
    // Variable.dispose() (unlike tf.disposeVariables()) also marks the handle as disposed.
    variable.dispose();
    disposed++;
  }
  return disposed;
}
