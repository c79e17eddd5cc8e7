// The entry of a replica worker thread (see replica-pool.ts). Plain JavaScript on purpose: a
// worker starts without the parent's module hooks, so this file loads either the built
// replica-main.js, or (in the workspace sources, as tests run them) replica-main.ts after
// registering tsx's hooks. It ships beside replica-pool.js (tsconfig.build.json: allowJs).
import { workerData } from "node:worker_threads";

/** @type {import("./replica-protocol.ts").ReplicaInit} */
const init = workerData;
if (init.typescript) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(init.main);
