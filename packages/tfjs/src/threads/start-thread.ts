import { Worker } from "node:worker_threads";

/** Running from the `.ts` sources (tests, `tsx`) rather than the built `dist/`. */
const SOURCES = import.meta.url.endsWith(".ts");
const ENTRY = new URL("./thread-entry.mjs", import.meta.url);

/** What every tipi worker thread receives: its module, and how to load it. */
export interface ThreadData {
  /** URL of the module the thread runs. */
  readonly main: string;
  /** Register tsx's hooks first (the `.ts` sources). */
  readonly typescript: boolean;
}

/**
 * Starts a worker thread running `module` (a path relative to `src/`, without extension:
 * `train/replicas/replica-main`), `.ts` in the sources and `.js` once built, with `data` as
 * its `workerData` (plus {@link ThreadData}).
 * @example
 * const worker = startThread("data/batch-loader-main", { images });
 */
export function startThread(module: string, data: object): Worker {
  const main = new URL(`../${module}${SOURCES ? ".ts" : ".js"}`, import.meta.url);
  const workerData: ThreadData = { ...data, main: main.href, typescript: SOURCES };
  return new Worker(ENTRY, { workerData, stdout: false, stderr: false });
}
