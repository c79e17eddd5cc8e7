import { currentRun } from "@tipi/core";
import { type BackendChoice, type BackendName, Device, resolveBackend } from "@tipi/tfjs";

/** The backend TensorFlow.js computes on, and why it was chosen. */
export interface DeviceInfo {
  /** `tensorflow-gpu`, `tensorflow`, `wasm` or `cpu`. */
  readonly backend: BackendName;
  readonly reason: string;
  /** `"pipeline"`: the run's `device` permanence; `"standalone"`: chosen by this helper. */
  readonly source: "pipeline" | "standalone";
}

let standalone: Promise<BackendChoice> | undefined;

/** Reads the run's `device` permanence when the run provides one. */
function runDevice(): DeviceInfo | undefined {
  const ctx = currentRun();
  if (ctx === undefined) return undefined;
  let device: unknown;
  try {
    device = ctx.get("device");
  } catch {
    return undefined;
  }
  const choice = describeDevice(device);
  return choice === undefined ? undefined : { ...choice, source: "pipeline" };
}

/** A `Device` permanence (or anything exposing the same `choice`) after initialisation. */
function describeDevice(device: unknown): { backend: BackendName; reason: string } | undefined {
  const choice =
    device instanceof Device
      ? device.choice
      : typeof device === "object" && device !== null && "choice" in device
        ? (device.choice as BackendChoice | undefined)
        : undefined;
  return choice === undefined ? undefined : { backend: choice.name, reason: choice.reason };
}

/**
 * Picks the compute backend. In a script the first call resolves `backend: "auto"`
 * (tfjs-node-gpu → tfjs-node → wasm → cpu) and every later call returns the same choice;
 * inside a pipeline run it returns the run's `device` permanence instead.
 *
 * @example
 * const device = await deviceManager.getDevice();
 * console.log(`training on ${device.backend}: ${device.reason}`);
 */
export const deviceManager = {
  async getDevice(): Promise<DeviceInfo> {
    const fromRun = runDevice();
    if (fromRun !== undefined) return fromRun;
    standalone ??= resolveBackend({ backend: "auto" }).catch((error: unknown) => {
      standalone = undefined;
      throw error;
    });
    const choice = await standalone;
    return { backend: choice.name, reason: choice.reason, source: "standalone" };
  },
};
