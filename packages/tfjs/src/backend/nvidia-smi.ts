import { execFile } from "node:child_process";

/**
 * One GPU as `nvidia-smi --query-gpu=index,uuid,memory.free,memory.total,name` reports it (MiB).
 * `index` is nvidia-smi's numbering, which is PCI bus order; CUDA numbers GPUs fastest-first
 * unless `CUDA_DEVICE_ORDER=PCI_BUS_ID`, so tipi selects a GPU by its `uuid`.
 */
export interface GpuInfo {
  readonly index: number;
  /** `GPU-…`: what `CUDA_VISIBLE_DEVICES` accepts whatever the device order. */
  readonly uuid: string;
  readonly name: string;
  readonly freeMiB: number;
  readonly totalMiB: number;
}

/** The query tipi runs; `csv,noheader,nounits` gives lines like `0, GPU-5d…, 80511, 81559, NVIDIA H100`. */
const NVIDIA_SMI_ARGS = [
  "--query-gpu=index,uuid,memory.free,memory.total,name",
  "--format=csv,noheader,nounits",
] as const;

/** Per-process GPU memory: `pid, gpu_uuid, used_memory` (MiB). */
const NVIDIA_SMI_APPS_ARGS = [
  "--query-compute-apps=pid,gpu_uuid,used_memory",
  "--format=csv,noheader,nounits",
] as const;

const NUMBER = /^\d+(\.\d+)?$/;

/**
 * Parses the output of `nvidia-smi` run with {@link NVIDIA_SMI_ARGS}. Lines that do not fit
 * (warnings, "[N/A]" memory, blank lines) are ignored rather than guessed at. The name comes
 * last, so a name with a comma stays whole.
 */
export function parseNvidiaSmiGpus(output: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of output.split(/\r?\n/)) {
    const fields = line.split(",").map((field) => field.trim());
    if (fields.length < 5) continue;
    const [index, uuid, free, total] = fields as [string, string, string, string];
    if (!/^\d+$/.test(index) || !uuid.startsWith("GPU-") || !NUMBER.test(free)) continue;
    if (!NUMBER.test(total)) continue;
    gpus.push({
      index: Number(index),
      uuid,
      name: fields.slice(4).join(", "),
      freeMiB: Number(free),
      totalMiB: Number(total),
    });
  }
  return gpus;
}

/** One process's memory on one GPU, from {@link NVIDIA_SMI_APPS_ARGS}. */
export interface GpuProcess {
  readonly pid: number;
  readonly gpuUuid: string;
  readonly usedMiB: number;
}

/** Parses the output of `nvidia-smi` run with {@link NVIDIA_SMI_APPS_ARGS}. */
export function parseNvidiaSmiApps(output: string): GpuProcess[] {
  const apps: GpuProcess[] = [];
  for (const line of output.split(/\r?\n/)) {
    const [pid, uuid, used] = line.split(",").map((field) => field.trim());
    if (!pid || !uuid || !used || !/^\d+$/.test(pid) || !NUMBER.test(used)) continue;
    apps.push({ pid: Number(pid), gpuUuid: uuid, usedMiB: Number(used) });
  }
  return apps;
}

/** The GPU with the most free memory; the lowest index wins a tie. */
export function pickGpu(gpus: readonly GpuInfo[]): GpuInfo | undefined {
  let best: GpuInfo | undefined;
  for (const gpu of gpus) {
    if (best === undefined || gpu.freeMiB > best.freeMiB) best = gpu;
  }
  return best;
}

export type GpuQuery =
  | { readonly ok: true; readonly gpus: readonly GpuInfo[] }
  | { readonly ok: false; readonly reason: string };

export interface NvidiaSmiOptions {
  /** The binary; default `nvidia-smi` on the PATH. */
  readonly command?: string;
  readonly timeoutMs?: number;
}

/**
 * Runs `nvidia-smi` and parses its answer. Never throws: a missing binary, a failing driver or a
 * timeout come back as `{ ok: false, reason }`. nvidia-smi ignores `CUDA_VISIBLE_DEVICES`: it
 * always lists every GPU of the machine.
 */
export async function queryGpus(options: NvidiaSmiOptions = {}): Promise<GpuQuery> {
  const answer = await runNvidiaSmi(NVIDIA_SMI_ARGS, options);
  if (!answer.ok) return answer;
  const gpus = parseNvidiaSmiGpus(answer.stdout);
  const command = options.command ?? "nvidia-smi";
  return gpus.length > 0 ? { ok: true, gpus } : { ok: false, reason: `${command} listed no GPU` };
}

/** The compute processes on every GPU with their memory, or `undefined` when nvidia-smi fails. */
export async function queryGpuProcesses(
  options: NvidiaSmiOptions = {},
): Promise<GpuProcess[] | undefined> {
  const answer = await runNvidiaSmi(NVIDIA_SMI_APPS_ARGS, options);
  return answer.ok ? parseNvidiaSmiApps(answer.stdout) : undefined;
}

function runNvidiaSmi(
  args: readonly string[],
  options: NvidiaSmiOptions,
): Promise<{ ok: true; stdout: string } | { ok: false; reason: string }> {
  const command = options.command ?? "nvidia-smi";
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { timeout: options.timeoutMs ?? 5_000, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          const detail = code === "ENOENT" ? "not found" : (stderr.trim() || error.message).trim();
          resolve({ ok: false, reason: `${command} ${detail}` });
          return;
        }
        resolve({ ok: true, stdout });
      },
    );
  });
}
