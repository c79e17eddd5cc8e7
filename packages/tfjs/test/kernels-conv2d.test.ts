import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../src/backend/resolve-backend.ts";
import {
  compareWithCpu,
  convCases,
  convOutSize,
  randomValues,
  relativeError,
} from "./kernels-helpers.ts";

beforeAll(async () => {
  await resolveBackend({ backend: "wasm", env: {} });
});

describe("Conv2DBackpropFilter on wasm (im2col GEMM for ≤ 4 input channels, else a Conv2D)", () => {
  it.each([...convCases(2), ...convCases(6)])("matches cpu: $name", async (c) => {
    const oh = convOutSize(c.height, c);
    const ow = convOutSize(c.width, c);
    const { wasm, cpu, error } = await compareWithCpu(
      "Conv2DBackpropFilter",
      {
        x: {
          shape: [c.batch, c.height, c.width, c.inChannels],
          values: randomValues(c.batch * c.height * c.width * c.inChannels, 7),
        },
        dy: {
          shape: [c.batch, oh, ow, c.outChannels],
          values: randomValues(c.batch * oh * ow * c.outChannels, 11),
        },
      },
      {
        strides: [c.stride, c.stride],
        pad: c.pad,
        dataFormat: "NHWC",
        filterShape: [c.kernel, c.kernel, c.inChannels, c.outChannels],
      },
    );
    expect(wasm.shape).toEqual([c.kernel, c.kernel, c.inChannels, c.outChannels]);
    expect(cpu.shape).toEqual(wasm.shape);
    expect(error).toBeLessThanOrEqual(1e-4);
  });

  it.each([3, 6])(
    "handles rectangular kernels and strides with explicit padding (%i input channels)",
    async (cin) => {
      const { error, wasm } = await compareWithCpu(
        "Conv2DBackpropFilter",
        {
          x: { shape: [2, 7, 6, cin], values: randomValues(2 * 7 * 6 * cin, 3) },
          dy: { shape: [2, 4, 2, 4], values: randomValues(2 * 4 * 2 * 4, 5) },
        },
        {
          strides: [2, 3],
          pad: [
            [0, 0],
            [1, 2],
            [0, 1],
            [0, 0],
          ],
          dataFormat: "NHWC",
          filterShape: [3, 2, cin, 4],
        },
      );
      expect(wasm.shape).toEqual([3, 2, cin, 4]);
      expect(error).toBeLessThanOrEqual(1e-4);
    },
  );
});

describe("Conv2DBackpropInput on wasm (Conv2D of zero-inserted dy)", () => {
  it.each(convCases())("matches cpu: $name", async (c) => {
    const oh = convOutSize(c.height, c);
    const ow = convOutSize(c.width, c);
    const { wasm, cpu, error } = await compareWithCpu(
      "Conv2DBackpropInput",
      {
        dy: {
          shape: [c.batch, oh, ow, c.outChannels],
          values: randomValues(c.batch * oh * ow * c.outChannels, 13),
        },
        filter: {
          shape: [c.kernel, c.kernel, c.inChannels, c.outChannels],
          values: randomValues(c.kernel * c.kernel * c.inChannels * c.outChannels, 17),
        },
      },
      {
        strides: [c.stride, c.stride],
        pad: c.pad,
        dataFormat: "NHWC",
        inputShape: [c.batch, c.height, c.width, c.inChannels],
      },
    );
    expect(wasm.shape).toEqual([c.batch, c.height, c.width, c.inChannels]);
    expect(cpu.shape).toEqual(wasm.shape);
    expect(error).toBeLessThanOrEqual(1e-4);
  });

  it("handles rectangular kernels, unequal strides and explicit padding", async () => {
    const { error, wasm } = await compareWithCpu(
      "Conv2DBackpropInput",
      {
        dy: { shape: [2, 4, 2, 4], values: randomValues(2 * 4 * 2 * 4, 19) },
        filter: { shape: [3, 2, 3, 4], values: randomValues(3 * 2 * 3 * 4, 23) },
      },
      {
        strides: [2, 3],
        pad: [
          [0, 0],
          [1, 2],
          [0, 1],
          [0, 0],
        ],
        dataFormat: "NHWC",
        inputShape: [2, 7, 6, 3],
      },
    );
    expect(wasm.shape).toEqual([2, 7, 6, 3]);
    expect(error).toBeLessThanOrEqual(1e-4);
  });
});

describe("gradients of a small conv net, wasm vs cpu", () => {
  async function gradsOn(backend: "wasm" | "cpu"): Promise<Float32Array[]> {
    await tf.setBackend(backend);
    const x = tf.tensor4d(randomValues(4 * 12 * 12 * 2, 1), [4, 12, 12, 2]);
    const w1 = tf.tensor4d(randomValues(3 * 3 * 2 * 4, 2), [3, 3, 2, 4]);
    const w2 = tf.tensor4d(randomValues(2 * 2 * 4 * 5, 3), [2, 2, 4, 5]);
    const w3 = tf.tensor2d(randomValues(2 * 2 * 5 * 3, 4), [2 * 2 * 5, 3]);
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
      let h = tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same"));
      h = tf.maxPool(h as tf.Tensor4D, 2, 1, "valid");
      h = tf.conv2d(h as tf.Tensor4D, c as tf.Tensor4D, 2, "valid");
      const logits = tf.matMul(tf.reshape(h, [4, -1]), d);
      return tf.mean(tf.square(logits));
    };
    const grads = tf.grads(loss)([x, w1, w2, w3]);
    const values = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
    tf.dispose([x, w1, w2, w3, ...grads]);
    return values;
  }

  it("agrees on every input and weight gradient", async () => {
    const cpu = await gradsOn("cpu");
    const wasm = await gradsOn("wasm");
    expect(wasm).toHaveLength(4);
    for (const [i, grad] of wasm.entries()) {
      expect(relativeError(grad, cpu[i]!)).toBeLessThanOrEqual(1e-4);
    }
  });
});

describe("cpu fallback kernels on wasm", () => {
  it("computes depthwise conv gradients exactly as cpu does", async () => {
    async function gradsOn(backend: "wasm" | "cpu"): Promise<Float32Array[]> {
      await tf.setBackend(backend);
      const x = tf.tensor4d(randomValues(2 * 7 * 7 * 3, 9), [2, 7, 7, 3]);
      const w = tf.tensor4d(randomValues(3 * 3 * 3 * 2, 10), [3, 3, 3, 2]);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same")));
      const grads = tf.grads(f)([x, w]);
      const values = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
      tf.dispose([x, w, ...grads]);
      return values;
    }
    const cpu = await gradsOn("cpu");
    const wasm = await gradsOn("wasm");
    expect(relativeError(wasm[0]!, cpu[0]!)).toBeLessThanOrEqual(1e-6);
    expect(relativeError(wasm[1]!, cpu[1]!)).toBeLessThanOrEqual(1e-6);
  });

  it("leaves no tensors behind on either backend", async () => {
    await tf.setBackend("wasm");
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([1, 2, 3, 4]);
    const ids = tf.tensor1d([0, 1, 0, 1], "int32");
    const sums = tf.unsortedSegmentSum(x, ids, 2);
    expect(Array.from(await sums.data())).toEqual([4, 6]);
    tf.dispose([x, ids, sums]);
    expect(tf.memory().numTensors).toBe(before);
    const cpu = tf.engine().findBackend("cpu");
    expect(cpu.numDataIds()).toBe(0);
  });
});
