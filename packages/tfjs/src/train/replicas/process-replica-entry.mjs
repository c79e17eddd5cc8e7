// The entry of a replica process (see process-replica-pool.ts). Plain JavaScript for the same
// reason as threads/thread-entry.mjs: a forked process starts without its parent's module hooks,
// so this file loads either the built module (`.js`), or, in the workspace sources as tests run
// them, the `.ts` module after registering tsx's hooks. Arguments: the module's URL, then "ts"
// or "js". It ships beside the built modules (tsconfig.build.json: allowJs).
const [main, mode] = process.argv.slice(2);
if (mode === "ts") {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(main);
