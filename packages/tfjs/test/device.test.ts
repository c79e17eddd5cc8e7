import { mkdtempSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { Pipeline, type TipiEvent } from "@tipi/core";
import { afterEach, describe, expect, it } from "vitest";
import { _forgetNativeLoad, BackendUnavailableError } from "../src/backend/resolve-backend.ts";
import { choiceLine, Device, deviceParams } from "../src/permanences/device.ts";
import {
  createFixtureDir,
  FAKE_TFJS_NODE,
  type FixtureDir,
  saveGpuEnv,
} from "./backend-fixtures.ts";

const ctx = { signal: new AbortController().signal };
// Optional packages are looked up here only: what this workspace has installed does not matter.
const resolvePaths = [mkdtempSync(join(tmpdir(), "tipi-nothing-installed-"))];

describe("Device params", () => {
  it("is a Standard Schema with defaults, as the TOML loader sees it", async () => {
    const standard = Device.params["~standard"];
    const ok = await standard.validate({ backend: "auto" });
    expect(ok).toEqual({ value: { backend: "auto", memoryLimit: 0.95, workers: "auto" } });
    const bad = await standard.validate({ backend: "gpu", memoryLimit: 2, workers: 0 });
    expect("issues" in bad && bad.issues?.map((i) => i.path?.[0])).toEqual([
      "backend",
      "memoryLimit",
      "workers",
    ]);
  });

  it.each([0, -1, 2.5, "max", "4"])(
    "workers = %j: one message naming what it takes",
    async (workers) => {
      // 0 got zod's "Too small: expected number to be >0", which does not say "auto" is allowed
      const bad = await Device.params["~standard"].validate({ workers });
      expect("issues" in bad && bad.issues?.map((i) => i.message)).toEqual([
        'expected "auto" or a positive integer (1: no worker threads)',
      ]);
    },
  );

  it("rejects bad options in the constructor too", () => {
    expect(() => new Device({ memoryLimit: 0 })).toThrow();
    expect(() => new Device({ workers: 1.5 })).toThrow();
    expect(deviceParams.parse({})).toEqual({ backend: "auto", memoryLimit: 0.95, workers: "auto" });
  });
});

describe("Device lifecycle", () => {
  afterEach(async () => {
    await tf.setBackend("cpu");
  });

  it("initialize() resolves and records the backend", async () => {
    const device = new Device({ env: {}, resolvePaths });
    expect(device.choice).toBeUndefined();
    await device.initialize(ctx);
    expect(device.backendName).toBe("wasm");
    expect(device.choice?.skipped).toHaveLength(3);
    expect(device.describe()).toMatch(/^wasm: WebAssembly .*skipped tensorflow-gpu: /);
  });

  it("initialize() reports the backend and why each other one was skipped, as one log event", async () => {
    const events: TipiEvent[] = [];
    await new Device({ env: {}, resolvePaths }).initialize({ ...ctx, emit: (e) => events.push(e) });
    expect(events).toHaveLength(1);
    const event = events[0];
    expect(event?.type === "log" && event.level).toBe("info");
    const message = event?.type === "log" ? event.message : "";
    expect(message).toMatch(
      /^backend: wasm \(WebAssembly[^)]*\) — skipped: tensorflow-gpu \([^)]*not installed\), tensorflow \([^)]*not installed\), cpu \(lower priority than wasm\)$/,
    );
  });

  it("initialize() fails with the reason when the forced backend is missing", async () => {
    const device = new Device({ backend: "tensorflow-gpu", env: {}, resolvePaths });
    await expect(device.initialize(ctx)).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it("validate() measures RAM and the wasm heap against memoryLimit", async () => {
    const relaxed = new Device({ backend: "wasm", memoryLimit: 1, env: {}, resolvePaths });
    await relaxed.initialize(ctx);
    const pools = await relaxed.memoryUsage();
    expect(pools.map((p) => p.pool)).toEqual(["system", "wasm-heap"]);
    for (const pool of pools) {
      expect(pool.fraction).toBeGreaterThanOrEqual(0);
      expect(pool.fraction).toBeLessThanOrEqual(1);
    }
    await expect(relaxed.validate(ctx)).resolves.toBeUndefined();

    const strict = new Device({ backend: "wasm", memoryLimit: 1e-9, env: {}, resolvePaths });
    await strict.initialize(ctx);
    await expect(strict.validate(ctx)).rejects.toThrow(/memory above the limit of .*system RAM/);
  });

  it("validate() on cpu checks system RAM only", async () => {
    const device = new Device({ backend: "cpu", env: {}, resolvePaths });
    await device.initialize(ctx);
    expect((await device.memoryUsage()).map((p) => p.pool)).toEqual(["system"]);
  });

  it("cleanup() disposes only the variables its own run created, once (two runs in one process)", async () => {
    const mine = tf.variable(tf.zeros([2]));
    const made: Record<string, tf.Variable> = {};
    let releaseA: () => void = () => {};
    const aMayFinish = new Promise<void>((resolve) => {
      releaseA = resolve;
    });
    let aMade: () => void = () => {};
    const aHasMade = new Promise<void>((resolve) => {
      aMade = resolve;
    });
    const devices = {
      a: new Device({ backend: "cpu", env: {}, resolvePaths }),
      b: new Device({ backend: "cpu", env: {}, resolvePaths }),
    };
    const pipeline = (name: "a" | "b") =>
      Pipeline.create<object>()
        .provide({ device: () => devices[name] })
        .io("weights", async (state) => {
          made[name] = tf.variable(tf.ones([3]));
          if (name === "a") {
            aMade();
            await aMayFinish;
          }
          return state;
        });
    const runA = pipeline("a").run({});
    await aHasMade;
    // Run b starts, creates its variable and ends (cleanup) while run a is still in its step.
    expect((await pipeline("b").run({})).isOk()).toBe(true);
    expect(made.b?.isDisposed).toBe(true);
    expect(made.a?.isDisposed).toBe(false);
    expect(Array.from(await made.a!.data())).toEqual([1, 1, 1]);
    releaseA();
    expect((await runA).isOk()).toBe(true);
    expect(made.a?.isDisposed).toBe(true);
    // A variable made outside any run belongs to no Device.
    expect(mine.isDisposed).toBe(false);
    expect(() => devices.a.cleanup(ctx)).not.toThrow();
    mine.dispose();
  });
});

describe("Device with tfjs-node installed (stand-in)", () => {
  afterEach(async () => {
    _forgetNativeLoad();
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
        resolvePaths: [fixture.root],
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
  const gpuEnv = saveGpuEnv();
  afterEach(async () => {
    gpuEnv.restore();
    _forgetNativeLoad();
    await tf.setBackend("cpu");
  });

  /** A machine with GPU 0 (UUID …aaaa) and GPU 1 (…bbbb); GPU 1's free MiB come from a file. */
  async function gpuMachine(fixture: FixtureDir, apps = "") {
    await fixture.linkPackage("@tensorflow/tfjs-core");
    await fixture.linkPackage("@tensorflow/tfjs-backend-cpu");
    await fixture.addPackage("@tensorflow/tfjs-node-gpu", FAKE_TFJS_NODE);
    return fixture.addScript(
      "nvidia-smi",
      `case "$*" in
  *--query-gpu*) free=$(cat "${fixture.root}/free" 2>/dev/null || echo 9000); printf "0, GPU-aaaa, 100, 10000, A\n1, GPU-bbbb, $free, 10000, B\n";;
  *--query-compute-apps*) ${apps || "true"};;
esac`,
    );
  }

  it("validate() reads the VRAM of the GPU TensorFlow uses, by UUID", async () => {
    const fixture = await createFixtureDir();
    try {
      const smi = await gpuMachine(fixture);
      const device = new Device({
        backend: "tensorflow-gpu",
        memoryLimit: 0.95,
        nvidiaSmi: smi,
        resolvePaths: [fixture.root],
        env: {},
      });
      await device.initialize(ctx);
      expect(device.choice?.gpu?.uuid).toBe("GPU-bbbb");
      expect(device.choice?.tfEnv?.TF_FORCE_GPU_ALLOW_GROWTH).toBe("true");
      await expect(device.validate(ctx)).resolves.toBeUndefined();
      await writeFile(`${fixture.root}/free`, "200");
      await expect(device.validate(ctx)).rejects.toThrow(
        "memory above the limit of 95.0%: GPU 1 VRAM 98.0% used (9800 MiB of 10000 MiB)",
      );
    } finally {
      await fixture.dispose();
    }
  });

  it("without memory growth, TensorFlow's own reservation is not counted as used", async () => {
    const fixture = await createFixtureDir();
    try {
      // This process ($PPID of the script) holds 9000 MiB of GPU 1: TensorFlow's reservation.
      const smi = await gpuMachine(
        fixture,
        'printf "$PPID, GPU-bbbb, 9000\n4242, GPU-bbbb, 500\n"',
      );
      await writeFile(`${fixture.root}/free`, "300");
      const device = new Device({
        backend: "tensorflow-gpu",
        nvidiaSmi: smi,
        resolvePaths: [fixture.root],
        env: { TF_FORCE_GPU_ALLOW_GROWTH: "false" },
      });
      await device.initialize(ctx);
      const [pool] = await device.memoryUsage();
      // 9700 MiB used, minus this process's 9000 MiB, plus its live tensors.
      const tensors = tf.memory().numBytes;
      expect(pool?.usedBytes).toBe(700 * 1024 ** 2 + tensors);
      expect(pool?.detail).toMatch(/TensorFlow reserved 9000 MiB: memory growth is off/);
      await expect(device.validate(ctx)).resolves.toBeUndefined();
    } finally {
      await fixture.dispose();
    }
  });
});
