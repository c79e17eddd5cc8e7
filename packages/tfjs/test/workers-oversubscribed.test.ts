import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { oversubscribedWorkers, resolveWorkers } from "../src/train/replicas/workers.ts";

describe("oversubscribedWorkers", () => {
  const wasm = { batchSize: 64, backend: "wasm" } as const;

  it("warns when an explicit count puts more replicas than cores to work, naming both and auto's pick", () => {
    const message = oversubscribedWorkers(3, { ...wasm, env: { TIPI_CORES: "2" } });
    expect(message).toBe(
      'workers = 3 starts 3 replicas on 2 cores (TIPI_CORES=2): replicas sharing a core make every step wait, so training is slower than with fewer; "auto" picks 2 here. Training with 3, as asked.',
    );
    // the count is still the one asked for
    expect(resolveWorkers(3, { ...wasm, env: { TIPI_CORES: "2" } })).toBe(3);
  });

  it("names the batch cap and the cores of the machine when TIPI_CORES is unset", () => {
    const cores = availableParallelism();
    const message = oversubscribedWorkers(100, { ...wasm, env: {} });
    const count = Math.min(100, 64);
    if (count <= cores) return expect(message).toBeUndefined();
    expect(message).toContain(`workers = 100 starts 64 replicas (100 capped at the batch size)`);
    expect(message).toContain(`on ${cores} cores (os.availableParallelism())`);
    expect(message).toContain(`"auto" picks ${Math.min(cores, 4)} here`);
  });

  it("says nothing for auto, a count the cores hold, GPUs, or a backend without replicas", () => {
    expect(oversubscribedWorkers("auto", { ...wasm, cores: 1 })).toBeUndefined();
    expect(oversubscribedWorkers(2, { ...wasm, cores: 2 })).toBeUndefined();
    expect(oversubscribedWorkers(1, { ...wasm, cores: 1 })).toBeUndefined();
    // batch 4 caps 8 at 4, which 4 cores hold
    expect(oversubscribedWorkers(8, { batchSize: 4, backend: "wasm", cores: 4 })).toBeUndefined();
    expect(oversubscribedWorkers(4, { ...wasm, backend: "tensorflow", cores: 2 })).toBeUndefined();
    expect(oversubscribedWorkers(2, { ...wasm, backend: "tensorflow", gpus: 2, cores: 1 })).toBe(
      undefined,
    );
  });

  it("counts one core in the singular", () => {
    expect(oversubscribedWorkers(2, { ...wasm, cores: 1 })).toContain("on 1 core:");
  });
});
