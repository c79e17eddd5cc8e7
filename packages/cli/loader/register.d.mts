/** Makes `import("./x.ts")` work in this process (idempotent). */
export function registerTypeScript(): Promise<void>;
/** Makes user modules' `@tipi/*` imports resolve to the prebuilt bundle in this package's dist/. */
export function useBundle(packageDir: string): void;
