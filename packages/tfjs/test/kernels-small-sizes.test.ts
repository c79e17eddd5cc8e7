// Tiny spatial sizes on wasm: every conv/pool kernel tipi runs matches cpu for maps of 1–32
// pixels a side, any stride and padding, including outputs that shrink to 0×0.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../src/backend/resolve-backend.ts";
import { Network } from "../src/permanences/network.ts";
import { smallCnn } from "../src/train/architectures.ts";
import { train } from "../src/train/train-loop.ts";
import { type KernelInput, randomValues, relativeError, runKernelOn } from "./kernels-helpers.ts";

beforeAll(async () => {
  await resolveBackend({ backend: "wasm", env: {} });
});

interface Case {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: "same" | "valid";
}

const cases = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  height: fc.integer({ min: 1, max: 32 }),
  width: fc.integer({ min: 1, max: 32 }),
  channels: fc.integer({ min: 1, max: 5 }),
  kernel: fc.integer({ min: 1, max: 5 }),
  stride: fc.integer({ min: 1, max: 3 }),
  pad: fc.constantFrom("same" as const, "valid" as const),
});

/** The output size tfjs computes; ≤ 0 when a valid window does not fit. */
const outSize = (size: number, c: Case) =>
  c.pad === "same" ? Math.ceil(size / c.stride) : Math.ceil((size - c.kernel + 1) / c.stride);

const tensor = (shape: number[], seed: number): KernelInput => ({
  shape,
  values: randomValues(
    shape.reduce((n, d) => n * d, 1),
    seed,
  ),
});

type Outcome = { shape: number[]; values: Float32Array } | { error: string };

async function outcome(
  backend: "wasm" | "cpu",
  kernel: string,
  inputs: Record<string, KernelInput>,
  attrs: Record<string, unknown>,
): Promise<Outcome> {
  try {
    return await runKernelOn(backend, kernel, inputs, attrs);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** wasm gives what cpu gives: the same error, or the same shape and values (to 1e-4). */
async function expectLikeCpu(
  kernel: string,
  inputs: Record<string, KernelInput>,
  attrs: Record<string, unknown>,
): Promise<void> {
  const cpu = await outcome("cpu", kernel, inputs, attrs);
  const wasm = await outcome("wasm", kernel, inputs, attrs);
  if ("error" in cpu) {
    expect(wasm).toEqual(cpu);
    return;
  }
  expect("error" in wasm ? wasm.error : wasm.shape).toEqual(cpu.shape);
  if (!("error" in wasm)) expect(relativeError(wasm.values, cpu.values)).toBeLessThanOrEqual(1e-4);
}

/** Each property: 100 random cases (seeded, so a failure reproduces), a few seconds in all. */
const RUNS = { numRuns: 100, seed: 20261202 } as const;

describe("wasm conv and pool kernels on 1–32 pixel maps match cpu", () => {
  it("Conv2D, FusedConv2D (tfjs-layers' path) and DepthwiseConv2dNative, forward", async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const x = tensor([c.batch, c.height, c.width, c.channels], 1);
        const filter = tensor([c.kernel, c.kernel, c.channels, 3], 2);
        const attrs = {
          strides: [c.stride, c.stride],
          pad: c.pad,
          dataFormat: "NHWC",
          dilations: [1, 1],
        };
        await expectLikeCpu("Conv2D", { x, filter }, attrs);
        await expectLikeCpu(
          "FusedConv2D",
          { x, filter, bias: tensor([3], 3) },
          { ...attrs, activation: "relu" },
        );
        const depthwise = tensor([c.kernel, c.kernel, c.channels, 2], 10);
        await expectLikeCpu("DepthwiseConv2dNative", { x, filter: depthwise }, attrs);
      }),
      RUNS,
    );
  });

  it("Conv2DBackpropFilter and Conv2DBackpropInput", async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const oh = outSize(c.height, c);
        const ow = outSize(c.width, c);
        fc.pre(oh >= 0 && ow >= 0);
        const dy = tensor([c.batch, oh, ow, 3], 4);
        const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: "NHWC" };
        await expectLikeCpu(
          "Conv2DBackpropFilter",
          { x: tensor([c.batch, c.height, c.width, c.channels], 5), dy },
          { ...attrs, filterShape: [c.kernel, c.kernel, c.channels, 3] },
        );
        await expectLikeCpu(
          "Conv2DBackpropInput",
          { dy, filter: tensor([c.kernel, c.kernel, c.channels, 3], 6) },
          { ...attrs, inputShape: [c.batch, c.height, c.width, c.channels] },
        );
      }),
      RUNS,
    );
  });

  it("MaxPool, AvgPool and MaxPoolGrad", async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const x = tensor([c.batch, c.height, c.width, c.channels], 7);
        const attrs = {
          filterSize: [c.kernel, c.kernel],
          strides: [c.stride, c.stride],
          pad: c.pad,
        };
        await expectLikeCpu("MaxPool", { x }, attrs);
        await expectLikeCpu("AvgPool", { x }, attrs);
        const oh = outSize(c.height, c);
        const ow = outSize(c.width, c);
        if (oh < 0 || ow < 0) return;
        const y = {
          shape: [c.batch, oh, ow, c.channels],
          values: new Float32Array(c.batch * oh * ow * c.channels),
        };
        await expectLikeCpu(
          "MaxPoolGrad",
          { dy: tensor([c.batch, oh, ow, c.channels], 8), input: x, output: y },
          attrs,
        );
      }),
      RUNS,
    );
  });

  it("matmuls over 0 features (a flattened 0×0 map) give the bias, not garbage", async () => {
    const a = { shape: [4, 0], values: new Float32Array(0) };
    const b = { shape: [0, 5], values: new Float32Array(0) };
    await expectLikeCpu(
      "BatchMatMul",
      { a: { ...a, shape: [1, 4, 0] }, b: { ...b, shape: [1, 0, 5] } },
      {
        transposeA: false,
        transposeB: false,
      },
    );
    await expectLikeCpu(
      "_FusedMatMul",
      { a, b, bias: tensor([5], 9) },
      { transposeA: false, transposeB: false, activation: "relu" },
    );
  });
});

describe("the small CNN on tiny images", () => {
  it("trains on wasm for every size it fits (10×10 and up), without hanging or crashing", async () => {
    for (const size of [10, 11, 12]) {
      const n = 16;
      const model = smallCnn({ inputShape: [size, size, 1], numClasses: 3, seed: 1 });
      const images = randomValues(n * size * size, size);
      const labels = new Int32Array(n).map((_, i) => i % 3);
      const result = await train({
        model,
        train: { images, labels, length: n, numClasses: 3 },
        epochs: 1,
        batchSize: 8,
      });
      expect(Number.isFinite(result.history[0]!.values["train/epoch_loss"])).toBe(true);
      model.dispose();
    }
  });

  it("is refused for images it shrinks to nothing, naming the image size", () => {
    for (const size of [1, 4, 6, 8, 9]) {
      const network = new Network({
        architecture: "small-cnn",
        inputShape: [size, size, 1],
        numClasses: 3,
      });
      expect(() => network.validate(), `${size}×${size}`).toThrow(
        new RegExp(`"small-cnn" architecture is too deep for ${size}×${size} images`),
      );
    }
    const fits = new Network({ architecture: "small-cnn", inputShape: [10, 10, 1], numClasses: 3 });
    expect(() => fits.validate()).not.toThrow();
    fits.cleanup();
  });
});
