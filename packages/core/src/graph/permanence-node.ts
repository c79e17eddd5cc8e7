/** What a permanence factory receives: the permanences created before it. */
export interface PermanenceDeps<TPerms extends object = Record<string, unknown>> {
  get<K extends keyof TPerms & string>(name: K): TPerms[K];
}

/** A factory with its types erased. */
export type AnyPermanenceFactory = (deps: PermanenceDeps) => unknown;

/** One `provide` entry: created, initialised and validated in order, cleaned up in reverse. */
export interface PermanenceNode {
  readonly name: string;
  readonly factory: AnyPermanenceFactory;
  /** The registered type name, for config-built pipelines. */
  readonly type?: string;
}
