/** Makes `import("./x.ts")` work in this process (idempotent). */
export function registerTypeScript(): Promise<void>;
