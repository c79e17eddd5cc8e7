import { execFile } from "node:child_process";

/** One GPU as `nvidia-smi --query-gpu=index,memory.free,memory.total` reports it (MiB). */
export interface GpuInfo {
  readonly index: number;
  readonly freeMiB: number;
  readonly totalMiB: number;
}

/** The query tipi runs; `csv,noheader,nounits` gives lines like `0, 80511, 81559`. */
export const NVIDIA_SMI_ARGS = [
  "--query-gpu=index,memory.free,memory.total",
  "--format=csv,noheader,nounits",
] as const;

/**
 * Parses the output of `nvidia-smi` run with {@link NVIDIA_SMI_ARGS}. Lines that are not three
 * numbers (warnings, "[N/A]", blank lines) are ignored rather than guessed at.
 */
export function parseNvidiaSmiGpus(output: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of output.split(/\r?\n/)) {
    const fields = line.split(",").map((field) => field.trim());
    if (fields.length !== 3 || fields.some((field) => !/^\d+(\.\d+)?$/.test(field))) continue;
    const [index, free, total] = fields.map(Number) as [number, number, number];
    gpus.push({ index, freeMiB: free, totalMiB: total });
  }
  return gpus;
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

/**
 * Runs `nvidia-smi` and parses its answer. Never throws: a missing binary, a failing driver or a
 * timeout come back as `{ ok: false, reason }`.
 */
export function queryGpus(
  options: { command?: string; timeoutMs?: number } = {},
): Promise<GpuQuery> {
  const command = options.command ?? "nvidia-smi";
  return new Promise((resolve) => {
    execFile(
      command,
      [...NVIDIA_SMI_ARGS],
      { timeout: options.timeoutMs ?? 5_000, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          const detail = code === "ENOENT" ? "not found" : (stderr.trim() || error.message).trim();
          resolve({ ok: false, reason: `${command} ${detail}` });
          return;
        }
        const gpus = parseNvidiaSmiGpus(stdout);
        resolve(
          gpus.length > 0 ? { ok: true, gpus } : { ok: false, reason: `${command} listed no GPU` },
        );
      },
    );
  });
}
