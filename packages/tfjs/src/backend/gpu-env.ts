import { err, ok, type Result } from "neverthrow";
import { type GpuInfo, pickGpu } from "./nvidia-smi.ts";

/**
 * The variables libtensorflow reads once, when tfjs-node(-gpu) loads: they must be in
 * `process.env` before the import, and changing them later changes nothing.
 */
export const TF_LOAD_ENV = [
  "CUDA_VISIBLE_DEVICES",
  "CUDA_DEVICE_ORDER",
  "TF_FORCE_GPU_ALLOW_GROWTH",
] as const;
export type TfLoadVariable = (typeof TF_LOAD_ENV)[number];

/** What tipi will run TensorFlow with on a GPU machine, before it loads. */
export interface GpuPlan {
  /** The values `process.env` gets before tfjs-node-gpu loads (the user's and tipi's). */
  readonly env: Readonly<Partial<Record<TfLoadVariable, string>>>;
  /** The variables tipi chose (the others came from the user). */
  readonly setByTipi: readonly TfLoadVariable[];
  /** The GPU TensorFlow will place ops on (its `/GPU:0`), when nvidia-smi's list tells. */
  readonly gpu?: GpuInfo;
  /** Where, for the backend's reason: `GPU 1 (…)`. */
  readonly where: string;
  /**
   * The GPUs this run may train on, one data-parallel replica process each (docs/training.md,
   * "Several GPUs"), as `CUDA_VISIBLE_DEVICES` values: the first is this process's (the only one
   * its `CUDA_VISIBLE_DEVICES` keeps), each other one a replica process's whole value.
   */
  readonly devices: readonly string[];
}

/**
 * Decides the GPU environment from the user's variables and nvidia-smi's list; the error is why
 * no GPU can be used (`tensorflow-gpu` is then skipped without loading tfjs-node-gpu):
 * - `CUDA_VISIBLE_DEVICES` unset: the GPU with the most free memory, selected by UUID (CUDA
 *   numbers GPUs fastest-first, nvidia-smi in PCI order; a UUID means the same GPU to both).
 * - set by the user: kept; its first entry is the GPU TensorFlow uses. Indices are nvidia-smi's
 *   once `CUDA_DEVICE_ORDER=PCI_BUS_ID` is set, which tipi does unless the user set an order.
 *   An empty value, `-1` or an index nvidia-smi does not list hides every GPU, as in CUDA.
 * - `TF_FORCE_GPU_ALLOW_GROWTH=true` unless the user set it: TensorFlow then takes VRAM as it
 *   needs it instead of mapping nearly all of it at the first allocation.
 *
 * {@link GpuPlan.devices} lists the GPUs replicas may use: unset, every GPU nvidia-smi lists (the
 * chosen one first, then by free memory); set, the user's entries up to the first CUDA would
 * stop at. This process keeps only the first: with a list of several, its `CUDA_VISIBLE_DEVICES`
 * is narrowed to the first entry (tfjs-node places every op on `/GPU:0`, and each visible GPU
 * would cost a CUDA context), the others being for replica processes.
 */
export function planGpu(
  userEnv: NodeJS.ProcessEnv,
  gpus: readonly GpuInfo[],
): Result<GpuPlan, string> {
  const env: Partial<Record<TfLoadVariable, string>> = {};
  const setByTipi: TfLoadVariable[] = [];
  for (const name of TF_LOAD_ENV) {
    const value = userEnv[name];
    if (value !== undefined) env[name] = value;
  }
  const choose = (name: TfLoadVariable, value: string) => {
    env[name] = value;
    setByTipi.push(name);
  };
  if (env.TF_FORCE_GPU_ALLOW_GROWTH === undefined) choose("TF_FORCE_GPU_ALLOW_GROWTH", "true");

  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible === undefined) {
    const gpu = pickGpu(gpus);
    if (!gpu) return err("no GPU: nvidia-smi listed none");
    choose("CUDA_VISIBLE_DEVICES", gpu.uuid);
    const where = `${describeGpu(gpu)}, ${gpu.freeMiB} of ${gpu.totalMiB} MiB free, the most of ${gpus.length}; CUDA_VISIBLE_DEVICES=${gpu.uuid})`;
    const others = gpus
      .filter((candidate) => candidate !== gpu)
      .sort((a, b) => b.freeMiB - a.freeMiB || a.index - b.index);
    const devices = [gpu.uuid, ...others.map((other) => other.uuid)];
    return ok({ env, setByTipi, gpu, where, devices });
  }

  const first = visible.split(",")[0]?.trim() ?? "";
  const userSays = `CUDA_VISIBLE_DEVICES=${visible === "" ? '""' : visible} (set by the user)`;
  if (first === "") {
    return err(`${userSays} hides every GPU from CUDA: unset it, or name a GPU`);
  }
  if (!first.startsWith("MIG-") && !first.startsWith("GPU-")) {
    if (!/^-?\d+$/.test(first) || Number(first) < 0) {
      return err(`${userSays} hides every GPU from CUDA (first entry "${first}")`);
    }
    if (env.CUDA_DEVICE_ORDER === undefined) choose("CUDA_DEVICE_ORDER", "PCI_BUS_ID");
  }
  const devices = visibleEntries(visible, gpus, env.CUDA_DEVICE_ORDER === "PCI_BUS_ID");
  // This process keeps the first GPU; the others are the replica processes' (see above).
  const narrowed = devices.length > 1 ? `; this process keeps ${first}, replicas get the rest` : "";
  if (devices.length > 1) choose("CUDA_VISIBLE_DEVICES", first);
  if (first.startsWith("MIG-")) {
    return ok({
      env,
      setByTipi,
      devices,
      where: `${userSays}: a MIG instance, VRAM not checked${narrowed}`,
    });
  }
  if (first.startsWith("GPU-")) {
    const gpu = gpus.find((candidate) => candidate.uuid.startsWith(first));
    if (!gpu) return err(`${userSays} names no GPU that nvidia-smi lists`);
    return ok({
      env,
      setByTipi,
      gpu,
      devices,
      where: `${describeGpu(gpu)}; ${userSays}${narrowed})`,
    });
  }
  const index = Number(first);
  if (env.CUDA_DEVICE_ORDER !== "PCI_BUS_ID") {
    return ok({
      env,
      setByTipi,
      devices,
      where: `${userSays}; CUDA_DEVICE_ORDER=${env.CUDA_DEVICE_ORDER} numbers GPUs unlike nvidia-smi, so which GPU that is is unknown and its VRAM is not checked${narrowed}`,
    });
  }
  const gpu = gpus.find((candidate) => candidate.index === index);
  if (!gpu) {
    const listed = gpus.map((candidate) => candidate.index).join(", ");
    return err(`${userSays} hides every GPU: nvidia-smi lists GPU ${listed}`);
  }
  const order = setByTipi.includes("CUDA_DEVICE_ORDER")
    ? ", CUDA_DEVICE_ORDER=PCI_BUS_ID set by tipi so indices are nvidia-smi's"
    : "";
  return ok({
    env,
    setByTipi,
    gpu,
    devices,
    where: `${describeGpu(gpu)}; ${userSays}${order}${narrowed})`,
  });
}

/**
 * The entries of a user's `CUDA_VISIBLE_DEVICES` that name a GPU, in order, up to the first that
 * does not (CUDA ignores everything from there): UUIDs (or prefixes) nvidia-smi lists, MIG
 * instances, and indices (nvidia-smi's, checked against its list, when `pciOrder`).
 */
function visibleEntries(visible: string, gpus: readonly GpuInfo[], pciOrder: boolean): string[] {
  const entries: string[] = [];
  for (const raw of visible.split(",")) {
    const entry = raw.trim();
    const names =
      entry.startsWith("MIG-") ||
      (entry.startsWith("GPU-") && gpus.some((gpu) => gpu.uuid.startsWith(entry))) ||
      (/^\d+$/.test(entry) && (!pciOrder || gpus.some((gpu) => gpu.index === Number(entry))));
    if (!names || entries.includes(entry)) break;
    entries.push(entry);
  }
  return entries;
}

function describeGpu(gpu: GpuInfo): string {
  return `GPU ${gpu.index} (${gpu.name || gpu.uuid}`;
}
