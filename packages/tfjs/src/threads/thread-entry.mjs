// The entry of tipi's worker threads (replicas, the batch loader; see start-thread.ts). Plain
// JavaScript on purpose: a worker starts without its parent's module hooks, so this file loads
// either the built module (`.js`), or, in the workspace sources as tests run them, the `.ts`
// module after registering tsx's hooks. It ships beside the built modules
// (tsconfig.build.json: allowJs).
import { workerData } from "node:worker_threads";

/** @type {import("./start-thread.ts").ThreadData} */
const data = workerData;
if (data.typescript) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(data.main);
