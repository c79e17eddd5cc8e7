import { execFile } from "node:child_process";
import { err, ok, type Result, ResultAsync } from "neverthrow";

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

export interface NvidiaSmiOptions {
  /** The binary; default `nvidia-smi` on the PATH. */
  readonly command?: string;
  readonly timeoutMs?: number;
}

/**
 * Runs `nvidia-smi` and parses its answer: the GPUs it lists (at least one), or why there are
 * none. Never throws nor rejects: a missing binary, a failing driver, a timeout or an empty list
 * come back as an `Err` with the reason. nvidia-smi ignores `CUDA_VISIBLE_DEVICES`: it always
 * lists every GPU of the machine.
 *
 * @example
 * const gpus = await queryGpus();
 * if (gpus.isOk()) console.log(pickGpu(gpus.value)?.uuid);
 * else console.log(`no GPU: ${gpus.error}`);
 */
export function queryGpus(options: NvidiaSmiOptions = {}): ResultAsync<readonly GpuInfo[], string> {
  const command = options.command ?? "nvidia-smi";
  return runNvidiaSmi(NVIDIA_SMI_ARGS, options).andThen((stdout) => {
    const gpus = parseNvidiaSmiGpus(stdout);
    return gpus.length > 0 ? ok(gpus) : err(`${command} listed no GPU`);
  });
}

/** The compute processes on every GPU with their memory, or `undefined` when nvidia-smi fails. */
export function queryGpuProcesses(
  options: NvidiaSmiOptions = {},
): Promise<GpuProcess[] | undefined> {
  return runNvidiaSmi(NVIDIA_SMI_APPS_ARGS, options).map(parseNvidiaSmiApps).unwrapOr(undefined);
}

/** nvidia-smi's stdout, or why it gave none (`<command> not found`, its stderr, a timeout). */
function runNvidiaSmi(
  args: readonly string[],
  options: NvidiaSmiOptions,
): ResultAsync<string, string> {
  const command = options.command ?? "nvidia-smi";
  const answer = new Promise<Result<string, string>>((resolve) => {
    execFile(
      command,
      [...args],
      { timeout: options.timeoutMs ?? 5_000, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          const detail = code === "ENOENT" ? "not found" : (stderr.trim() || error.message).trim();
          resolve(err(`${command} ${detail}`));
          return;
        }
        resolve(ok(stdout));
      },
    );
  });
  return new ResultAsync(answer);
}
