/** Spreads a sweep's parallel trials over the machine's GPUs, one `CUDA_VISIBLE_DEVICES` each. */
import { execFile } from "node:child_process";

/**
 * The GPUs trials may use: the entries of the controller's own `CUDA_VISIBLE_DEVICES` when it is
 * set (an empty value means none, as in CUDA), else every GPU nvidia-smi lists, by UUID (a UUID
 * names the same GPU whatever CUDA's device order). None when nvidia-smi is absent or fails.
 */
export function detectGpus(env: NodeJS.ProcessEnv, nvidiaSmi = "nvidia-smi"): Promise<string[]> {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined) {
    return Promise.resolve(
      visible
        .split(",")
        .map((entry) => entry.trim())
        .filter(Boolean),
    );
  }
  return new Promise((resolve) => {
    execFile(
      nvidiaSmi,
      ["--query-gpu=uuid", "--format=csv,noheader"],
      { timeout: 5_000, encoding: "utf8" },
      (error, stdout) => {
        if (error) return resolve([]);
        resolve(
          stdout
            .split(/\r?\n/)
            .map((line) => line.trim())
            .filter((line) => line.startsWith("GPU-")),
        );
      },
    );
  });
}

/** Hands each starting trial the GPU with the fewest running trials (the first on a tie). */
export class GpuSlots {
  readonly #busy: number[];
  readonly #held = new Map<string, number>();

  constructor(readonly gpus: readonly string[]) {
    this.#busy = gpus.map(() => 0);
  }

  /** The GPU for trial `id`, or `undefined` when there are no GPUs. */
  acquire(id: string): string | undefined {
    if (this.gpus.length === 0) return undefined;
    let best = 0;
    for (let i = 1; i < this.gpus.length; i++) {
      if ((this.#busy[i] ?? 0) < (this.#busy[best] ?? 0)) best = i;
    }
    this.#busy[best] = (this.#busy[best] ?? 0) + 1;
    this.#held.set(id, best);
    return this.gpus[best];
  }

  /** Frees the GPU trial `id` held. */
  release(id: string): void {
    const slot = this.#held.get(id);
    if (slot === undefined) return;
    this.#held.delete(id);
    this.#busy[slot] = (this.#busy[slot] ?? 1) - 1;
  }
}
