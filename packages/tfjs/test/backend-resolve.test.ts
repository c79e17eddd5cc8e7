import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import {
  BackendUnavailableError,
  isBackendRequest,
  resolveBackend,
} from "../src/backend/resolve-backend.ts";

// Optional packages are looked up in an empty folder only, so a tfjs-node(-gpu) installed in this
// workspace (as docs/backends.md shows) changes nothing here: auto means wasm.
const resolvePaths = [mkdtempSync(join(tmpdir(), "tipi-nothing-installed-"))];

describe("resolveBackend", () => {
  afterEach(async () => {
    await tf.setBackend("cpu");
  });

  it("auto picks wasm here, registers tipi's kernels and says why each other one was skipped", async () => {
    const choice = await resolveBackend({ resolvePaths, backend: "auto", env: {} });
    expect(choice.name).toBe("wasm");
    expect(choice.tfjsBackend).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(choice.reason).toMatch(/WebAssembly/);
    expect(choice.skipped).toEqual([
      { backend: "tensorflow-gpu", reason: "@tensorflow/tfjs-node-gpu is not installed" },
      { backend: "tensorflow", reason: "@tensorflow/tfjs-node is not installed" },
      { backend: "cpu", reason: "lower priority than wasm" },
    ]);
    expect(choice.kernels).toContain("Conv2DBackpropFilter");
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
    // Gradients are registered too, so plain tf.grad works on the chosen backend.
    const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2, 3]));
    expect(Array.from(await dx.data())).toEqual([2, 4, 6]);
  });

  it("cpu can be forced; the others are then skipped as not requested", async () => {
    const choice = await resolveBackend({ resolvePaths, backend: "cpu", env: {} });
    expect(choice.name).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(choice.reason).toMatch(/^forced/);
    expect(choice.skipped.map((s) => s.backend)).toEqual(["tensorflow-gpu", "tensorflow", "wasm"]);
    expect(choice.skipped.every((s) => s.reason === "backend forced to cpu")).toBe(true);
    expect(choice.kernels).toBeUndefined();
  });

  it("a forced backend that is not installed fails with the reason", async () => {
    const attempt = resolveBackend({ resolvePaths, backend: "tensorflow", env: {} });
    await expect(attempt).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(attempt).rejects.toThrow(
      'backend "tensorflow" is unavailable: @tensorflow/tfjs-node is not installed',
    );
  });

  it("TIPI_BACKEND chooses when no backend is given", async () => {
    const choice = await resolveBackend({ resolvePaths, env: { TIPI_BACKEND: "cpu" } });
    expect(choice.name).toBe("cpu");
    const ignored = await resolveBackend({ resolvePaths, env: { TIPI_BACKEND: "quantum" } });
    expect(ignored.name).toBe("wasm");
  });

  it("resolving twice is safe and keeps the kernels registered once", async () => {
    const first = await resolveBackend({ resolvePaths, backend: "wasm", env: {} });
    const kernel = tf.getKernel("Conv2DBackpropFilter", "wasm");
    const second = await resolveBackend({ resolvePaths, backend: "wasm", env: {} });
    expect(second.kernels).toEqual(first.kernels);
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBe(kernel);
  });

  it("isBackendRequest narrows config strings", () => {
    expect(["auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"].every(isBackendRequest)).toBe(
      true,
    );
    expect(isBackendRequest("gpu")).toBe(false);
    expect(isBackendRequest(3)).toBe(false);
  });
});
