import { freemem, totalmem } from "node:os";
import type { LifecycleContext, Permanence } from "@tipi/core";
import { BACKEND_ORDER, type BackendName } from "../backend/backend-names.ts";
import { queryGpuProcesses, queryGpus } from "../backend/nvidia-smi.ts";
import type { BackendChoice, ResolveBackendOptions } from "../backend/resolve-backend.ts";
import { disposeVariablesOf, trackVariableOwners } from "../backend/variable-owners.ts";
import { tfCore } from "../lazy/modules.ts";
import { z } from "../lazy/zod.ts";
import type { WorkersRequest } from "../train/replicas/workers.ts";
import { parseOptions } from "./parse-options.ts";

/** The wasm32 heap tfjs-backend-wasm is built with can grow to 4 GiB, no further. */
const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;
const MIB = 1024 ** 2;

/** Every way `workers` can be wrong (0, 2.5, "max") gets the same message. */
const WORKERS = 'expected "auto" or a positive integer (1: no worker threads)';

/**
 * Config schema of {@link Device} (a Standard Schema, so TOML `[permanences.device]` validates).
 * Each key's description is what docs/config.md's `Device` table shows.
 */
export const deviceParams = z.object({
  backend: z
    .enum(["auto", ...BACKEND_ORDER])
    .default("auto")
    .describe(
      "The tfjs backend: `auto` takes the first that loads of `tensorflow-gpu` (tfjs-node-gpu, with a GPU it confirms), `tensorflow` (tfjs-node), `wasm`, `cpu`; a named one fails the run when it cannot load. The run's log says which it took and why the others were skipped.",
    ),
  memoryLimit: z
    .number()
    .gt(0)
    .lte(1)
    .default(0.95)
    .describe(
      "Fraction of a memory pool (the GPU's VRAM; else system RAM and, on `wasm`, its 4 GiB heap) above which the run stops before its first step.",
    ),
  workers: z
    .union([z.literal("auto"), z.number().int({ error: WORKERS }).positive({ error: WORKERS })], {
      error: WORKERS,
    })
    .default("auto")
    .describe(
      "Data-parallel training replicas: worker threads on `wasm` / `cpu`, one process per GPU on `tensorflow-gpu`; `auto` = one a core (a GPU), at most one per 16 samples of the batch; always 1 on tfjs-node's TensorFlow on the CPU (it threads itself). More than the GPUs visible is an error.",
    ),
});

export type DeviceOptions = z.input<typeof deviceParams> &
  Pick<ResolveBackendOptions, "resolvePaths" | "nvidiaSmi" | "env">;

/** One memory pool measured by {@link Device.memoryUsage}. */
export interface MemoryCheck {
  readonly pool: "gpu" | "system" | "wasm-heap";
  readonly usedBytes: number;
  readonly totalBytes: number;
  /** `usedBytes / totalBytes`. */
  readonly fraction: number;
  readonly detail: string;
}

/**
 * The compute device of a run: resolves the tfjs backend in `initialize()`, checks memory in
 * `validate()` (VRAM via nvidia-smi on a GPU; RAM and the wasm heap otherwise) and frees the
 * tfjs variables its run's steps created in `cleanup()`.
 *
 * @example
 * Pipeline.create().provide({ device: () => new Device({ backend: "auto" }) })
 */
export class Device implements Permanence {
  static readonly params = deviceParams;

  readonly backend: z.output<typeof deviceParams>["backend"];
  readonly memoryLimit: number;
  /** Replicas the default train join trains with (see {@link resolveWorkers}). */
  readonly workers: WorkersRequest;
  readonly #resolveOptions: Pick<ResolveBackendOptions, "resolvePaths" | "nvidiaSmi" | "env">;
  #choice: BackendChoice | undefined;
  #cleaned = false;

  constructor(options: DeviceOptions = {}) {
    const { resolvePaths, nvidiaSmi, env, ...params } = options;
    const parsed = parseOptions("Device", deviceParams, params);
    this.backend = parsed.backend;
    this.memoryLimit = parsed.memoryLimit;
    this.workers = parsed.workers;
    this.#resolveOptions = {
      ...(resolvePaths ? { resolvePaths } : {}),
      ...(nvidiaSmi ? { nvidiaSmi } : {}),
      ...(env ? { env } : {}),
    };
  }

  /** The resolved backend, once `initialize()` has run. */
  get choice(): BackendChoice | undefined {
    return this.#choice;
  }

  /** tipi's name of the backend in use, once `initialize()` has run. */
  get backendName(): BackendName | undefined {
    return this.#choice?.name;
  }

  /** Resolves the backend and reports it on the run's bus as a `log` event (see {@link choiceLine}). */
  async initialize(ctx?: LifecycleContext): Promise<void> {
    // tfjs loads here, not when a config naming a Device is validated
    const { resolveBackend } = await import("../backend/resolve-backend.ts");
    this.#choice = await resolveBackend({ backend: this.backend, ...this.#resolveOptions });
    this.#cleaned = false;
    trackVariableOwners(tfCore().engine());
    ctx?.emit?.({ type: "log", level: "info", message: choiceLine(this.#choice) });
  }

  /**
   * Measures every memory pool the backend draws on. On a GPU: the VRAM in use on the GPU
   * TensorFlow uses (found by UUID). With memory growth (tipi's default) that is what every
   * process holds, this one included. Without it TensorFlow maps nearly all free VRAM for itself
   * at its first allocation, so this process's share is counted as the bytes of its live tensors
   * (when nvidia-smi lists this process's pid; in a container with its own pid namespace it may
   * not, and the detail says so).
   */
  async memoryUsage(): Promise<MemoryCheck[]> {
    const choice = this.#requireChoice();
    const checks: MemoryCheck[] = [];
    if (choice.name === "tensorflow-gpu" && choice.gpu) {
      checks.push(await this.#gpuMemory(choice, choice.gpu.uuid));
      return checks;
    }
    const total = totalmem();
    checks.push(check("system", total - freemem(), total, "system RAM"));
    if (choice.name === "wasm") {
      checks.push(
        check(
          "wasm-heap",
          tfCore().memory().numBytes,
          WASM_HEAP_LIMIT_BYTES,
          "wasm heap (tensors)",
        ),
      );
    }
    return checks;
  }

  async #gpuMemory(choice: BackendChoice, uuid: string): Promise<MemoryCheck> {
    const smi = this.#resolveOptions.nvidiaSmi ? { command: this.#resolveOptions.nvidiaSmi } : {};
    const gpus = await queryGpus(smi);
    if (gpus.isErr()) throw new Error(`cannot read GPU memory: ${gpus.error}`);
    const gpu = gpus.value.find((candidate) => candidate.uuid === uuid);
    if (!gpu) throw new Error(`GPU ${uuid} is no longer listed by nvidia-smi`);
    const total = gpu.totalMiB * MIB;
    const used = (gpu.totalMiB - gpu.freeMiB) * MIB;
    const label = `GPU ${gpu.index} VRAM`;
    if (choice.tfEnv?.TF_FORCE_GPU_ALLOW_GROWTH === "true") return check("gpu", used, total, label);
    const mine = (await queryGpuProcesses(smi))?.find(
      (app) => app.pid === process.pid && app.gpuUuid === uuid,
    );
    if (!mine) {
      return check(
        "gpu",
        used,
        total,
        `${label} (with TensorFlow's own reservation: memory growth is off)`,
      );
    }
    const tensors = tfCore().memory().numBytes;
    const others = Math.max(0, used - mine.usedMiB * MIB);
    return check(
      "gpu",
      others + tensors,
      total,
      `${label} (other processes + this run's tensors; TensorFlow reserved ${mine.usedMiB} MiB: memory growth is off)`,
    );
  }

  /** Fails when any memory pool is fuller than `memoryLimit`. */
  async validate(_ctx?: LifecycleContext): Promise<void> {
    const over = (await this.memoryUsage()).filter((c) => c.fraction > this.memoryLimit);
    if (over.length === 0) return;
    const limit = formatPercent(this.memoryLimit);
    const lines = over.map(
      (c) =>
        `${c.detail} ${formatPercent(c.fraction)} used (${formatMiB(c.usedBytes)} of ${formatMiB(c.totalBytes)})`,
    );
    throw new Error(`memory above the limit of ${limit}: ${lines.join("; ")}`);
  }

  /**
   * Disposes the tfjs variables (weights, optimizer slots) that the steps of the run providing
   * this Device as `device` created; another run's, or a script's own, are left alone. Safe to
   * call twice.
   */
  cleanup(_ctx?: LifecycleContext): void {
    if (this.#cleaned || this.#choice === undefined) return;
    this.#cleaned = true;
    disposeVariablesOf(tfCore().engine(), this);
  }

  /** One line for logs: the backend and why. */
  describe(): string {
    const choice = this.#choice;
    if (!choice) return `device (${this.backend}, not initialised)`;
    const skipped = choice.skipped.map((s) => `${s.backend}: ${s.reason}`).join("; ");
    return `${choice.name}: ${choice.reason}${skipped ? ` (skipped ${skipped})` : ""}`;
  }

  #requireChoice(): BackendChoice {
    if (!this.#choice) throw new Error("Device.initialize() has not run");
    return this.#choice;
  }
}

/**
 * The backend in use and why every other one was skipped, on one line:
 * `backend: wasm (WebAssembly …) — skipped: tensorflow-gpu (… is not installed), …`.
 */
export function choiceLine(choice: BackendChoice): string {
  const skipped = choice.skipped.map((s) => `${s.backend} (${s.reason})`).join(", ");
  return `backend: ${choice.name} (${choice.reason})${skipped ? ` — skipped: ${skipped}` : ""}`;
}

function check(
  pool: MemoryCheck["pool"],
  used: number,
  total: number,
  detail: string,
): MemoryCheck {
  return {
    pool,
    usedBytes: used,
    totalBytes: total,
    fraction: total > 0 ? used / total : 0,
    detail,
  };
}

function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.01 ? 3 : 1)}%`;
}

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / MIB)} MiB`;
}
