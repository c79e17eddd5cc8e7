/** A permanence class, as a step names one it reads. */
export type PermanenceClass = abstract new (...args: never[]) => unknown;

/** A permanence a DSL step reads: the option that names it, the name, and the class. */
export interface PermanenceNeed {
  readonly option: string;
  readonly name: string;
  readonly type: PermanenceClass;
}

/**
 * `fn` with the permanences it reads as a `needsPermanences` property: `tipi validate` and
 * `tipi run` check that a module's pipeline provides each name before anything runs (tsx does
 * not type-check, and `ctx.get(name)` is not typed by name). The type stays `F`: an intersection
 * would stop TypeScript inferring a generic step's state where `provideJoin` takes it.
 */
export function needingPermanences<F extends object>(fn: F, needs: readonly PermanenceNeed[]): F {
  return Object.assign(fn, { needsPermanences: needs });
}
