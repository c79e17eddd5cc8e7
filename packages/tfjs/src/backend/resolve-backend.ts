import { delimiter, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { err, ok, type Result } from "neverthrow";
import { registerWasmTrainingKernels } from "../kernels/register-wasm-training-kernels.ts";
import {
  BACKEND_ORDER,
  BACKEND_PACKAGES,
  type BackendName,
  type BackendRequest,
} from "./backend-names.ts";
import { missingCudaLibraries } from "./cuda-libraries.ts";
import { planGpu, TF_LOAD_ENV, type TfLoadVariable } from "./gpu-env.ts";
import { type GpuInfo, queryGpus } from "./nvidia-smi.ts";
import {
  defaultResolvePaths,
  importResolved,
  oneLineMessage,
  packageVersionFrom,
  resolveFrom,
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
  /**
   * The GPU TensorFlow uses (`tensorflow-gpu`), as nvidia-smi lists it; absent when the user's
   * `CUDA_VISIBLE_DEVICES` names it in a way nvidia-smi's list cannot tell (a MIG instance).
   */
  readonly gpu?: GpuInfo;
  /**
   * `tensorflow-gpu` and `tensorflow`: the variables libtensorflow read when it loaded
   * (`CUDA_VISIBLE_DEVICES`, `CUDA_DEVICE_ORDER`, `TF_FORCE_GPU_ALLOW_GROWTH`), as set.
   */
  readonly tfEnv?: Readonly<Partial<Record<TfLoadVariable, string>>>;
  /** The kernels tipi registered or replaced (wasm only). */
  readonly kernels?: readonly string[];
}

export interface ResolveBackendOptions {
  /** Default `auto`, or the `TIPI_BACKEND` environment variable when set. */
  readonly backend?: BackendRequest;
  /**
   * Folders to look the optional tfjs-node packages up from. Default: the `TIPI_RESOLVE_PATHS`
   * environment variable (folders separated by `:`, `;` on Windows) when set, else beside
   * @tipi/tfjs, then the working directory. (wasm and cpu are tipi's own dependencies.)
   */
  readonly resolvePaths?: readonly string[];
  /** The nvidia-smi binary. Default `nvidia-smi` on the PATH. */
  readonly nvidiaSmi?: string;
  /**
   * The environment tipi reads its settings from: `TIPI_BACKEND`, `CUDA_VISIBLE_DEVICES`,
   * `CUDA_DEVICE_ORDER`, `TF_FORCE_GPU_ALLOW_GROWTH`. Default `process.env`. libtensorflow reads
   * the process's own environment, once, when it loads: the TensorFlow variables resolved from
   * this one are written to `process.env` before tfjs-node-gpu is imported.
   */
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

type TfEnv = Readonly<Partial<Record<TfLoadVariable, string>>>;

/** A backend made current: why it serves, and for tfjs-node what libtensorflow loaded with. */
interface Activated {
  readonly reason: string;
  readonly gpu?: GpuInfo;
  readonly tfEnv?: TfEnv;
}

/** Trying one backend: it is current now, or the reason it is skipped. */
type Attempt = Result<Activated, string>;

interface AttemptContext {
  readonly paths: readonly string[];
  readonly nvidiaSmi: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The libtensorflow this process loaded (one per process, loaded once): which package, the
 * TensorFlow variables it saw, and whether it registered a GPU device.
 */
interface NativeLoad {
  readonly specifier: string;
  readonly tfEnv: TfEnv;
  readonly usingGpu: boolean;
  readonly gpu?: GpuInfo;
  readonly where?: string;
  /** tfjs-node-gpu: what a replica process needs to load it as this one did, on its own GPU. */
  readonly replicas?: GpuReplicaPlan;
}
let native: NativeLoad | undefined;

/**
 * What replica processes need to load tfjs-node-gpu as this process did, each on a GPU of its
 * own (docs/training.md, "Several GPUs").
 */
export interface GpuReplicaPlan {
  /**
   * `CUDA_VISIBLE_DEVICES` values, one a replica: `[0]` is this process's GPU, each other one
   * a replica process's (see `planGpu`).
   */
  readonly devices: readonly string[];
  /** Where this process found tfjs-node-gpu. */
  readonly resolvePaths: readonly string[];
  readonly nvidiaSmi?: string;
}

/**
 * The GPUs this process's run may train on, when it loaded tfjs-node-gpu and TensorFlow
 * confirmed a GPU; else `undefined` (wasm, cpu, tfjs-node, or no GPU device).
 */
export function gpuReplicaPlan(): GpuReplicaPlan | undefined {
  return native?.usingGpu ? native.replicas : undefined;
}

/** @internal For tests with stand-in packages only: forget which tfjs-node this process loaded. */
export function _forgetNativeLoad(): void {
  native = undefined;
}

/**
 * Picks the tfjs backend for this process and makes it current on tipi's tfjs-core: tfjs-node-gpu
 * (only once TensorFlow confirms a GPU device), then tfjs-node, then wasm (with tipi's training
 * kernels), then cpu. Each optional package is imported only when it resolves. With a forced
 * backend, throws {@link BackendUnavailableError} when it cannot be used.
 *
 * @example
 * const choice = await resolveBackend({ backend: "auto" });
 * console.log(choice.name, choice.reason, choice.skipped);
 */
export async function resolveBackend(options: ResolveBackendOptions = {}): Promise<BackendChoice> {
  const env = options.env ?? process.env;
  const request = options.backend ?? envRequest(env) ?? "auto";
  const context: AttemptContext = {
    paths: options.resolvePaths ?? envPaths(env) ?? defaultResolvePaths(),
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
    if (attempt.isErr()) throw new BackendUnavailableError(request, attempt.error, skipped);
    await ensureGradients();
    const reason = `forced (backend = "${request}"): ${attempt.value.reason}`;
    return finish(request, reason, skipped, attempt.value);
  }

  for (const [position, candidate] of BACKEND_ORDER.entries()) {
    const attempt = await tryBackend(candidate, context);
    if (attempt.isErr()) {
      skipped.push({ backend: candidate, reason: attempt.error });
      continue;
    }
    for (const later of BACKEND_ORDER.slice(position + 1)) {
      skipped.push({ backend: later, reason: `lower priority than ${candidate}` });
    }
    await ensureGradients();
    return finish(candidate, attempt.value.reason, skipped, attempt.value);
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

/** `TIPI_RESOLVE_PATHS`: folders (path-delimited) to look tfjs-node(-gpu) up from instead. */
function envPaths(env: NodeJS.ProcessEnv): string[] | undefined {
  const value = env.TIPI_RESOLVE_PATHS;
  return value ? value.split(delimiter).filter((dir) => dir !== "") : undefined;
}

function envRequest(env: NodeJS.ProcessEnv): BackendRequest | undefined {
  const value = env.TIPI_BACKEND;
  return isBackendRequest(value) ? value : undefined;
}

function finish(
  name: BackendName,
  reason: string,
  skipped: readonly SkippedBackend[],
  activated: Activated,
): BackendChoice {
  const kernels = name === "wasm" ? registerWasmTrainingKernels() : undefined;
  return {
    name,
    tfjsBackend: tf.getBackend(),
    reason,
    skipped,
    ...(activated.gpu ? { gpu: activated.gpu } : {}),
    ...(activated.tfEnv ? { tfEnv: activated.tfEnv } : {}),
    ...(kernels ? { kernels } : {}),
  };
}

function tryBackend(name: BackendName, context: AttemptContext): Promise<Attempt> {
  switch (name) {
    case "tensorflow-gpu":
      return tryTensorflowGpu(context);
    case "tensorflow":
      return tryTensorflowCpu(context);
    case "wasm":
      return tryWasm();
    case "cpu":
      return tryCpu();
  }
}

async function tryTensorflowGpu(context: AttemptContext): Promise<Attempt> {
  const specifier = BACKEND_PACKAGES["tensorflow-gpu"];
  if (native) return reuseNativeForGpu(specifier, native);
  const entry = resolveOptional(specifier, context.paths);
  if (!entry) return notInstalled(specifier);
  const mismatch = foreignCore(specifier, entry);
  if (mismatch) return err(mismatch);
  const gpus = await queryGpus(context.nvidiaSmi ? { command: context.nvidiaSmi } : {});
  if (gpus.isErr()) return err(`no GPU: ${gpus.error}`);
  const planned = planGpu(context.env, gpus.value);
  if (planned.isErr()) return err(planned.error);
  const plan = planned.value;
  // libtensorflow reads these from the process environment once, when the addon loads.
  for (const [name, value] of Object.entries(plan.env)) process.env[name] = value;
  const failure = await importNative(specifier, entry);
  if (failure) return err(failure);
  const usingGpu = backendUsesGpu();
  native = {
    specifier,
    tfEnv: plan.env,
    usingGpu,
    where: plan.where,
    ...(plan.gpu ? { gpu: plan.gpu } : {}),
    replicas: {
      devices: plan.devices,
      resolvePaths: context.paths,
      ...(context.nvidiaSmi ? { nvidiaSmi: context.nvidiaSmi } : {}),
    },
  };
  if (!usingGpu) return err(await noGpuDeviceReason(specifier, plan.where));
  const tipiSet = plan.setByTipi.map((name) => `${name}=${plan.env[name]}`).join(", ");
  const reason = `${specifier} loaded; TensorFlow uses ${plan.where}${tipiSet ? ` — tipi set ${tipiSet}` : ""}`;
  return withNative(await activate("tensorflow", reason), native);
}

/** libtensorflow is already in this process: what it found when it loaded still holds. */
async function reuseNativeForGpu(specifier: string, loaded: NativeLoad): Promise<Attempt> {
  if (loaded.specifier !== specifier) {
    return err(
      `${loaded.specifier} is already loaded in this process (one libtensorflow per process)`,
    );
  }
  if (!loaded.usingGpu) {
    return err(
      `${specifier} loaded earlier in this process and TensorFlow found no GPU device then`,
    );
  }
  const reason = `${specifier} (loaded earlier in this process); TensorFlow uses ${loaded.where ?? "a GPU"}`;
  return withNative(await activate("tensorflow", reason), loaded);
}

async function tryTensorflowCpu(context: AttemptContext): Promise<Attempt> {
  if (native) {
    // A second libtensorflow in one process is not an option; the one loaded serves.
    const where = native.usingGpu ? "its GPU" : "the CPU (it found no GPU device)";
    const reason = `libtensorflow of ${native.specifier}, already loaded in this process, on ${where}`;
    return withNative(await activate("tensorflow", reason), native);
  }
  const specifier = BACKEND_PACKAGES.tensorflow;
  const entry = resolveOptional(specifier, context.paths);
  if (!entry) return notInstalled(specifier);
  const mismatch = foreignCore(specifier, entry);
  if (mismatch) return err(mismatch);
  const failure = await importNative(specifier, entry);
  if (failure) return err(failure);
  native = { specifier, tfEnv: tfEnvOf(process.env), usingGpu: backendUsesGpu() };
  return withNative(await activate("tensorflow", `${specifier} loaded (libtensorflow)`), native);
}

function withNative(attempt: Attempt, loaded: NativeLoad): Attempt {
  return attempt.map((activated) => ({
    ...activated,
    tfEnv: loaded.tfEnv,
    ...(loaded.gpu ? { gpu: loaded.gpu } : {}),
  }));
}

function tfEnvOf(env: NodeJS.ProcessEnv): TfEnv {
  const picked: Partial<Record<TfLoadVariable, string>> = {};
  for (const name of TF_LOAD_ENV) if (env[name] !== undefined) picked[name] = env[name];
  return picked;
}

/**
 * tfjs-node registers its backend and kernels through `@tensorflow/tfjs`, i.e. into the
 * tfjs-core *that* package loads (and a few kernels require tfjs-core directly). Tensors cross
 * between copies only when they are the same version; a different one also re-registers every
 * cpu kernel (~170 "already registered" warnings). Checked before importing anything.
 */
function foreignCore(specifier: string, entry: string): string | undefined {
  const union = resolveFrom("@tensorflow/tfjs", entry);
  const seen = [
    union ? { via: "through @tensorflow/tfjs", version: versionFrom(union) } : undefined,
    { via: "directly", version: versionFrom(entry) },
  ];
  for (const found of seen) {
    if (found?.version === undefined || found.version === tf.version_core) continue;
    return `${specifier} loads @tensorflow/tfjs-core ${found.version} (${found.via}) but tipi uses ${tf.version_core}: install ${specifier}@${tf.version_core}`;
  }
  return undefined;
}

function versionFrom(file: string): string | undefined {
  return packageVersionFrom("@tensorflow/tfjs-core", file);
}

/** Imports tfjs-node(-gpu); on failure, why (and how to fix a missing addon); else `undefined`. */
async function importNative(specifier: string, entry: string): Promise<string | undefined> {
  try {
    await importResolved(entry);
    return undefined;
  } catch (error) {
    const message = oneLineMessage(error);
    const hint = /tfjs_binding\.node\) can not be found/.test(message)
      ? ` — tipi: the package's install script, which downloads libtensorflow and the addon, did not run (pnpm 10 skips install scripts until approved: \`pnpm approve-builds\`, then \`pnpm rebuild ${specifier}\`; with npm: \`npm rebuild ${specifier}\`)`
      : "";
    return `${specifier} failed to load: ${message}${hint}`;
  }
}

/** `isUsingGpuDevice` of tfjs-node's backend: set by the addon when TensorFlow registered a GPU. */
function backendUsesGpu(): boolean {
  try {
    const backend: unknown = tf.findBackend("tensorflow");
    return (
      typeof backend === "object" &&
      backend !== null &&
      "isUsingGpuDevice" in backend &&
      backend.isUsingGpuDevice === true
    );
  } catch {
    return false;
  }
}

async function noGpuDeviceReason(specifier: string, where: string): Promise<string> {
  const head = `${specifier} loaded, but TensorFlow registered no GPU device (it would run on the CPU)`;
  const missing = await missingCudaLibraries(process.env);
  if (missing.length > 0) {
    return `${head}: ${missing.join(", ")} not found on LD_LIBRARY_PATH or in the ldconfig cache — tfjs-node-gpu 4.22 (libtensorflow 2.9) needs an NVIDIA driver, CUDA 11.2 (not 12) and cuDNN 8.1: install them and add their lib64 folders to LD_LIBRARY_PATH`;
  }
  return `${head}: the CUDA 11 and cuDNN 8 libraries were found, so the driver or the device refused ${where}; TensorFlow's own log lines above say why (e.g. a driver too old for CUDA 11.2)`;
}

async function tryWasm(): Promise<Attempt> {
  const specifier = BACKEND_PACKAGES.wasm;
  const entry = resolveOptional(specifier, ownPaths());
  if (!entry) return notInstalled(specifier);
  try {
    const wasm = await importResolved(entry);
    // The .wasm binaries sit beside the node entry (dist/); reading them from disk means no fetch.
    if (hasSetWasmPaths(wasm)) wasm.setWasmPaths(`${dirname(entry)}/`);
  } catch (error) {
    return err(`${specifier} failed to load: ${oneLineMessage(error)}`);
  }
  return activate("wasm", "WebAssembly backend with tipi's training kernels");
}

async function tryCpu(): Promise<Attempt> {
  const specifier = BACKEND_PACKAGES.cpu;
  const entry = resolveOptional(specifier, ownPaths());
  if (!entry) return notInstalled(specifier);
  try {
    await importResolved(entry);
  } catch (error) {
    return err(`${specifier} failed to load: ${oneLineMessage(error)}`);
  }
  return activate("cpu", "plain JavaScript backend (slowest)");
}

/** wasm and cpu are @tipi/tfjs's own dependencies: resolved from here, whatever else is installed. */
function ownPaths(): string[] {
  return [dirname(fileURLToPath(import.meta.url))];
}

async function activate(tfjsName: string, reason: string): Promise<Attempt> {
  // The cpu backend (chosen, or wasm's fallback for rare kernels) console.warns "Hi, looks like
  // you are running TensorFlow.js in Node.js…" on its first tensor; our `backend:` line already
  // says why tfjs-node is not used. Prod mode is tfjs's documented switch: in tfjs 4.22 it only
  // mutes tfjs's warn/log helpers (every `PROD` read in core and layers guards a console call).
  if (tfjsName !== "tensorflow") tf.enableProdMode();
  try {
    const current = tf.getBackend() === tfjsName || (await tf.setBackend(tfjsName));
    if (!current) return err(`tf.setBackend("${tfjsName}") failed`);
    await tf.ready();
    return ok({ reason });
  } catch (error) {
    return err(`tf.setBackend("${tfjsName}") threw: ${oneLineMessage(error)}`);
  }
}

function notInstalled(specifier: string): Attempt {
  return err(`${specifier} is not installed`);
}

function hasSetWasmPaths(module: unknown): module is { setWasmPaths(prefix: string): void } {
  return (
    typeof module === "object" &&
    module !== null &&
    "setWasmPaths" in module &&
    typeof module.setWasmPaths === "function"
  );
}
