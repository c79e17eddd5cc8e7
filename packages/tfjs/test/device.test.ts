import * as tf from "@tensorflow/tfjs-core";
import type { TipiEvent } from "@tipi/core";
import { afterEach, describe, expect, it } from "vitest";
import { defaultResolvePaths } from "../src/backend/optional-module.ts";
import { BackendUnavailableError } from "../src/backend/resolve-backend.ts";
import { choiceLine, Device, deviceParams } from "../src/permanences/device.ts";
import { createFixtureDir, FAKE_TFJS_NODE } from "./backend-fixtures.ts";

const ctx = { signal: new AbortController().signal };

describe("Device params", () => {
  it("is a Standard Schema with defaults, as the TOML loader sees it", async () => {
    const standard = Device.params["~standard"];
    const ok = await standard.validate({ backend: "auto" });
    expect(ok).toEqual({ value: { backend: "auto", memoryLimit: 0.95 } });
    const bad = await standard.validate({ backend: "gpu", memoryLimit: 2 });
    expect("issues" in bad && bad.issues?.map((i) => i.path?.[0])).toEqual([
      "backend",
      "memoryLimit",
    ]);
  });

  it("rejects bad options in the constructor too", () => {
    expect(() => new Device({ memoryLimit: 0 })).toThrow();
    expect(deviceParams.parse({})).toEqual({ backend: "auto", memoryLimit: 0.95 });
  });
});

describe("Device lifecycle", () => {
  afterEach(async () => {
    await tf.setBackend("cpu");
  });

  it("initialize() resolves and records the backend", async () => {
    const device = new Device({ env: {} });
    expect(device.choice).toBeUndefined();
    await device.initialize(ctx);
    expect(device.backendName).toBe("wasm");
    expect(device.choice?.skipped).toHaveLength(3);
    expect(device.describe()).toMatch(/^wasm: WebAssembly .*skipped tensorflow-gpu: /);
  });

  it("initialize() reports the backend and why each other one was skipped, as one log event", async () => {
    const events: TipiEvent[] = [];
    await new Device({ env: {} }).initialize({ ...ctx, emit: (e) => events.push(e) });
    expect(events).toHaveLength(1);
    const event = events[0];
    expect(event?.type === "log" && event.level).toBe("info");
    const message = event?.type === "log" ? event.message : "";
    expect(message).toMatch(
      /^backend: wasm \(WebAssembly[^)]*\) — skipped: tensorflow-gpu \([^)]*not installed\), tensorflow \([^)]*not installed\), cpu \(lower priority than wasm\)$/,
    );
  });

  it("initialize() fails with the reason when the forced backend is missing", async () => {
    const device = new Device({ backend: "tensorflow-gpu", env: {} });
    await expect(device.initialize(ctx)).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it("validate() measures RAM and the wasm heap against memoryLimit", async () => {
    const relaxed = new Device({ backend: "wasm", memoryLimit: 1, env: {} });
    await relaxed.initialize(ctx);
    const pools = await relaxed.memoryUsage();
    expect(pools.map((p) => p.pool)).toEqual(["system", "wasm-heap"]);
    for (const pool of pools) {
      expect(pool.fraction).toBeGreaterThanOrEqual(0);
      expect(pool.fraction).toBeLessThanOrEqual(1);
    }
    await expect(relaxed.validate(ctx)).resolves.toBeUndefined();

    const strict = new Device({ backend: "wasm", memoryLimit: 1e-9, env: {} });
    await strict.initialize(ctx);
    await expect(strict.validate(ctx)).rejects.toThrow(/memory above the limit of .*system RAM/);
  });

  it("validate() on cpu checks system RAM only", async () => {
    const device = new Device({ backend: "cpu", env: {} });
    await device.initialize(ctx);
    expect((await device.memoryUsage()).map((p) => p.pool)).toEqual(["system"]);
  });

  it("cleanup() disposes tfjs variables, once", async () => {
    const device = new Device({ backend: "wasm", env: {} });
    await device.initialize(ctx);
    const weights = tf.variable(tf.zeros([4, 4]));
    const before = tf.memory().numTensors;
    device.cleanup(ctx);
    expect(weights.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before - 1);
    expect(() => device.cleanup(ctx)).not.toThrow();
  });
});

describe("Device with tfjs-node installed (stand-in)", () => {
  afterEach(async () => {
    await tf.setBackend("cpu");
  });

  it("reports tensorflow as chosen, and the GPU build and the rest as skipped", async () => {
    const fixture = await createFixtureDir();
    try {
      await fixture.linkPackage("@tensorflow/tfjs-core");
      await fixture.linkPackage("@tensorflow/tfjs-backend-cpu");
      await fixture.addPackage("@tensorflow/tfjs-node", FAKE_TFJS_NODE);
      const messages: string[] = [];
      const device = new Device({
        resolvePaths: [fixture.root, ...defaultResolvePaths()],
        env: {},
      });
      await device.initialize({
        ...ctx,
        emit: (e) => void (e.type === "log" && messages.push(e.message)),
      });
      expect(device.backendName).toBe("tensorflow");
      expect(messages).toEqual([choiceLine(device.choice!)]);
      expect(messages[0]).toMatch(
        /^backend: tensorflow \(.+\) — skipped: tensorflow-gpu \([^)]*not installed\), wasm \(lower priority than tensorflow\), cpu \(lower priority than tensorflow\)$/,
      );
    } finally {
      await fixture.dispose();
    }
  });
});

describe("Device on a GPU (tfjs-node-gpu stand-in, scripted nvidia-smi)", () => {
  it("validate() reads the chosen GPU's memory from nvidia-smi", async () => {
    const fixture = await createFixtureDir();
    try {
      await fixture.linkPackage("@tensorflow/tfjs-core");
      await fixture.linkPackage("@tensorflow/tfjs-backend-cpu");
      await fixture.addPackage("@tensorflow/tfjs-node-gpu", FAKE_TFJS_NODE);
      // GPU 1 starts with the most free memory; later readings come from the `free` file.
      const smi = await fixture.addScript(
        "nvidia-smi",
        `free=$(cat "${fixture.root}/free" 2>/dev/null || echo 9000); printf "0, 100, 10000\\n1, $free, 10000\\n"`,
      );
      const device = new Device({
        backend: "tensorflow-gpu",
        memoryLimit: 0.95,
        nvidiaSmi: smi,
        resolvePaths: [fixture.root, ...defaultResolvePaths()],
        env: {},
      });
      await device.initialize(ctx);
      expect(device.choice?.gpu?.index).toBe(1);
      await expect(device.validate(ctx)).resolves.toBeUndefined();
      const { writeFile } = await import("node:fs/promises");
      await writeFile(`${fixture.root}/free`, "200");
      await expect(device.validate(ctx)).rejects.toThrow(
        "memory above the limit of 95.0%: GPU 1 VRAM 98.0% used (9800 MiB of 10000 MiB)",
      );
    } finally {
      await fixture.dispose();
    }
  });
});
