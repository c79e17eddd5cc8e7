import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { registerWasmTrainingKernels } from "../kernels/register-wasm-training-kernels.ts";
import {
  BACKEND_ORDER,
  BACKEND_PACKAGES,
  type BackendName,
  type BackendRequest,
} from "./backend-names.ts";
import { type GpuInfo, pickGpu, queryGpus } from "./nvidia-smi.ts";
import {
  defaultResolvePaths,
  errorMessage,
  importResolved,
  packageVersionFrom,
  resolveOptional,
} from "./optional-module.ts";

export {
  BACKEND_ORDER,
  BACKEND_PACKAGES,
  type BackendName,
  type BackendRequest,
} from "./backend-names.ts";

export interface SkippedBackend {
  readonly backend: BackendName;
  readonly reason: string;
}

/** The outcome of {@link resolveBackend}. */
export interface BackendChoice {
  /** tipi's name for the backend in use. */
  readonly name: BackendName;
  /** The name tfjs knows it by (`tf.getBackend()`): `tensorflow`, `wasm` or `cpu`. */
  readonly tfjsBackend: string;
  /** Why this one was chosen. */
  readonly reason: string;
  /** Every other backend, with why it was not used. */
  readonly skipped: readonly SkippedBackend[];
  /** The GPU picked for `tensorflow-gpu` (nvidia-smi's index). */
  readonly gpu?: GpuInfo;
  /** The kernels tipi registered or replaced (wasm only). */
  readonly kernels?: readonly string[];
}

export interface ResolveBackendOptions {
  /** Default `auto`, or the `TIPI_BACKEND` environment variable when set. */
  readonly backend?: BackendRequest;
  /** Folders to resolve the optional tfjs packages from. Default: beside @tipi/tfjs, then cwd. */
  readonly resolvePaths?: readonly string[];
  /** The nvidia-smi binary. Default `nvidia-smi` on the PATH. */
  readonly nvidiaSmi?: string;
  /** Where CUDA_VISIBLE_DEVICES is read and set. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Thrown when a forced backend (anything but `auto`) cannot be used. */
export class BackendUnavailableError extends Error {
  override readonly name = "BackendUnavailableError";
  constructor(
    readonly backend: BackendName,
    readonly reason: string,
    readonly skipped: readonly SkippedBackend[],
  ) {
    super(`backend "${backend}" is unavailable: ${reason}`);
  }
}

const REQUESTS: readonly string[] = ["auto", ...BACKEND_ORDER];

/** Narrows a string (from config or the environment) to a {@link BackendRequest}. */
export function isBackendRequest(value: unknown): value is BackendRequest {
  return typeof value === "string" && REQUESTS.includes(value);
}

type Attempt =
  | { readonly ok: true; readonly reason: string; readonly gpu?: GpuInfo }
  | { readonly ok: false; readonly reason: string };

interface AttemptContext {
  readonly paths: readonly string[];
  readonly nvidiaSmi: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Picks the tfjs backend for this process and makes it current on tipi's tfjs-core: tfjs-node-gpu,
 * then tfjs-node, then wasm (with tipi's training kernels), then cpu. Each optional package is
 * imported only when it resolves. With a forced backend, throws {@link BackendUnavailableError}
 * when it cannot be used.
 *
 * @example
 * const choice = await resolveBackend({ backend: "auto" });
 * console.log(choice.name, choice.reason, choice.skipped);
 */
export async function resolveBackend(options: ResolveBackendOptions = {}): Promise<BackendChoice> {
  const env = options.env ?? process.env;
  const request = options.backend ?? envRequest(env) ?? "auto";
  const context: AttemptContext = {
    paths: options.resolvePaths ?? defaultResolvePaths(),
    nvidiaSmi: options.nvidiaSmi,
    env,
  };
  const skipped: SkippedBackend[] = [];

  if (request !== "auto") {
    for (const other of BACKEND_ORDER) {
      if (other !== request)
        skipped.push({ backend: other, reason: `backend forced to ${request}` });
    }
    const attempt = await tryBackend(request, context);
    if (!attempt.ok) throw new BackendUnavailableError(request, attempt.reason, skipped);
    await ensureGradients();
    return finish(request, `forced (backend = "${request}"): ${attempt.reason}`, skipped, attempt);
  }

  for (const [position, candidate] of BACKEND_ORDER.entries()) {
    const attempt = await tryBackend(candidate, context);
    if (!attempt.ok) {
      skipped.push({ backend: candidate, reason: attempt.reason });
      continue;
    }
    for (const later of BACKEND_ORDER.slice(position + 1)) {
      skipped.push({ backend: later, reason: `lower priority than ${candidate}` });
    }
    await ensureGradients();
    return finish(candidate, attempt.reason, skipped, attempt);
  }
  throw new BackendUnavailableError("cpu", "no backend could be initialised", skipped);
}

/**
 * tfjs-core's node build registers no gradients; tfjs-layers' build registers all of them (into
 * the engine-wide registry), so raw `tf.grad` code trains without importing layers itself.
 */
async function ensureGradients(): Promise<void> {
  if (!tf.getGradient("Sum")) await import("@tensorflow/tfjs-layers");
}

function envRequest(env: NodeJS.ProcessEnv): BackendRequest | undefined {
  const value = env.TIPI_BACKEND;
  return isBackendRequest(value) ? value : undefined;
}

function finish(
  name: BackendName,
  reason: string,
  skipped: readonly SkippedBackend[],
  attempt: Attempt & { ok: true },
): BackendChoice {
  const kernels = name === "wasm" ? registerWasmTrainingKernels() : undefined;
  return {
    name,
    tfjsBackend: tf.getBackend(),
    reason,
    skipped,
    ...(attempt.gpu ? { gpu: attempt.gpu } : {}),
    ...(kernels ? { kernels } : {}),
  };
}

function tryBackend(name: BackendName, context: AttemptContext): Promise<Attempt> {
  switch (name) {
    case "tensorflow-gpu":
      return tryTensorflowGpu(context);
    case "tensorflow":
      return tryTensorflowNode(BACKEND_PACKAGES.tensorflow, context);
    case "wasm":
      return tryWasm(context);
    case "cpu":
      return tryCpu(context);
  }
}

async function tryTensorflowGpu(context: AttemptContext): Promise<Attempt> {
  const specifier = BACKEND_PACKAGES["tensorflow-gpu"];
  if (!resolveOptional(specifier, context.paths)) return notInstalled(specifier);
  const query = await queryGpus(context.nvidiaSmi ? { command: context.nvidiaSmi } : {});
  if (!query.ok) return { ok: false, reason: `no GPU: ${query.reason}` };
  const gpu = pickGpu(query.gpus);
  if (!gpu) return { ok: false, reason: "no GPU: nvidia-smi listed none" };
  const preset = context.env.CUDA_VISIBLE_DEVICES;
  // tfjs-node-gpu reads CUDA_VISIBLE_DEVICES when libtensorflow starts, i.e. at import.
  if (preset === undefined || preset === "") context.env.CUDA_VISIBLE_DEVICES = String(gpu.index);
  const loaded = await tryTensorflowNode(specifier, context);
  if (!loaded.ok) return loaded;
  const where =
    preset === undefined || preset === ""
      ? `GPU ${gpu.index} (${gpu.freeMiB} of ${gpu.totalMiB} MiB free, the most of ${query.gpus.length})`
      : `CUDA_VISIBLE_DEVICES=${preset} (set by the user)`;
  return { ok: true, reason: `${loaded.reason} on ${where}`, gpu };
}

async function tryTensorflowNode(specifier: string, context: AttemptContext): Promise<Attempt> {
  const entry = resolveOptional(specifier, context.paths);
  if (!entry) return notInstalled(specifier);
  // tfjs-node brings its own @tensorflow/tfjs-core. Kernels and the engine live in a global
  // registry shared by every copy, but tensors made by a different version are not ours.
  const theirCore = packageVersionFrom("@tensorflow/tfjs-core", entry);
  if (theirCore !== undefined && theirCore !== tf.version_core) {
    return {
      ok: false,
      reason: `${specifier} uses @tensorflow/tfjs-core ${theirCore} but tipi uses ${tf.version_core}: install ${specifier}@${tf.version_core}`,
    };
  }
  try {
    await importResolved(entry);
  } catch (error) {
    return { ok: false, reason: `${specifier} failed to load: ${errorMessage(error)}` };
  }
  return activate("tensorflow", `${specifier} loaded (libtensorflow)`);
}

async function tryWasm(context: AttemptContext): Promise<Attempt> {
  const specifier = BACKEND_PACKAGES.wasm;
  const entry = resolveOptional(specifier, context.paths);
  if (!entry) return notInstalled(specifier);
  try {
    const wasm = await importResolved(entry);
    // The .wasm binaries sit beside the node entry (dist/); reading them from disk means no fetch.
    if (hasSetWasmPaths(wasm)) wasm.setWasmPaths(`${dirname(entry)}/`);
  } catch (error) {
    return { ok: false, reason: `${specifier} failed to load: ${errorMessage(error)}` };
  }
  return activate("wasm", "WebAssembly backend with tipi's training kernels");
}

async function tryCpu(context: AttemptContext): Promise<Attempt> {
  const specifier = BACKEND_PACKAGES.cpu;
  const entry = resolveOptional(specifier, context.paths);
  if (!entry) return notInstalled(specifier);
  try {
    await importResolved(entry);
  } catch (error) {
    return { ok: false, reason: `${specifier} failed to load: ${errorMessage(error)}` };
  }
  return activate("cpu", "plain JavaScript backend (slowest)");
}

async function activate(tfjsName: string, reason: string): Promise<Attempt> {
  // The cpu backend (chosen, or wasm's fallback for rare kernels) console.warns "Hi, looks like
  // you are running TensorFlow.js in Node.js…" on its first tensor; our `backend:` line already
  // says why tfjs-node is not used. Prod mode is tfjs's documented switch: in tfjs 4.22 it only
  // mutes tfjs's warn/log helpers (every `PROD` read in core and layers guards a console call).
  if (tfjsName !== "tensorflow") tf.enableProdMode();
  try {
    const ok = tf.getBackend() === tfjsName || (await tf.setBackend(tfjsName));
    if (!ok) return { ok: false, reason: `tf.setBackend("${tfjsName}") failed` };
    await tf.ready();
    return { ok: true, reason };
  } catch (error) {
    return { ok: false, reason: `tf.setBackend("${tfjsName}") threw: ${errorMessage(error)}` };
  }
}

function notInstalled(specifier: string): Attempt {
  return { ok: false, reason: `${specifier} is not installed` };
}

function hasSetWasmPaths(module: unknown): module is { setWasmPaths(prefix: string): void } {
  return (
    typeof module === "object" &&
    module !== null &&
    "setWasmPaths" in module &&
    typeof module.setWasmPaths === "function"
  );
}
