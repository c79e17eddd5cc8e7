import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../src/backend/resolve-backend.ts";
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
} from "../src/kernels/register-wasm-training-kernels.ts";
import { compareWithCpu, randomValues, relativeError } from "./kernels-helpers.ts";

beforeAll(async () => {
  await resolveBackend({ backend: "wasm", env: {} });
});

const input = (shape: number[], seed: number) => ({
  shape,
  values: randomValues(
    shape.reduce((a, b) => a * b, 1),
    seed,
  ),
});

describe("BatchMatMul on wasm (explicit Transpose)", () => {
  const cases = [
    { name: "Aᵀ·B", a: [1, 6, 5], b: [1, 6, 4], transposeA: true, transposeB: false },
    { name: "A·Bᵀ", a: [1, 5, 6], b: [1, 4, 6], transposeA: false, transposeB: true },
    { name: "Aᵀ·Bᵀ", a: [3, 6, 5], b: [3, 4, 6], transposeA: true, transposeB: true },
    {
      name: "batched, broadcast B",
      a: [2, 3, 7, 5],
      b: [1, 1, 7, 2],
      transposeA: true,
      transposeB: false,
    },
    { name: "no transpose", a: [2, 5, 7], b: [2, 7, 3], transposeA: false, transposeB: false },
  ];
  it.each(cases)("matches cpu: $name", async (c) => {
    const { wasm, cpu, error } = await compareWithCpu(
      "BatchMatMul",
      { a: input(c.a, 1), b: input(c.b, 2) },
      { transposeA: c.transposeA, transposeB: c.transposeB },
    );
    expect(wasm.shape).toEqual(cpu.shape);
    expect(error).toBeLessThanOrEqual(1e-5);
  });

  it("keeps bias and activation of _FusedMatMul with transposed operands", async () => {
    const { wasm, cpu, error } = await compareWithCpu(
      "_FusedMatMul",
      { a: input([1, 6, 5], 3), b: input([1, 4, 6], 4), bias: input([4], 5) },
      { transposeA: true, transposeB: true, activation: "relu", leakyreluAlpha: 0 },
    );
    expect(wasm.shape).toEqual([1, 5, 4]);
    expect(cpu.shape).toEqual(wasm.shape);
    expect(error).toBeLessThanOrEqual(1e-5);
  });
});

describe("MaxPoolGrad on wasm", () => {
  const cases: { name: string; filter: number; stride: number; pad: "same" | "valid" }[] = [];
  for (const filter of [2, 3]) {
    for (const stride of [1, 2]) {
      for (const pad of ["same", "valid"] as const) {
        cases.push({ name: `f${filter} s${stride} ${pad}`, filter, stride, pad });
      }
    }
  }
  it.each(cases)("matches cpu: $name", async (c) => {
    const shape = [3, 9, 8, 4];
    const outSize = (size: number) =>
      c.pad === "same" ? Math.ceil(size / c.stride) : Math.ceil((size - c.filter + 1) / c.stride);
    const { wasm, cpu, error } = await compareWithCpu(
      "MaxPoolGrad",
      { dy: input([3, outSize(9), outSize(8), 4], 7), input: input(shape, 8) },
      { filterSize: [c.filter, c.filter], strides: [c.stride, c.stride], pad: c.pad },
    );
    expect(wasm.shape).toEqual(shape);
    expect(cpu.shape).toEqual(shape);
    expect(error).toBeLessThanOrEqual(1e-6);
  });

  it("routes ties to the first maximum, as cpu does", async () => {
    const { wasm, cpu } = await compareWithCpu(
      "MaxPoolGrad",
      {
        dy: { shape: [1, 1, 1, 1], values: new Float32Array([5]) },
        input: { shape: [1, 2, 2, 1], values: new Float32Array([1, 3, 3, 3]) },
      },
      { filterSize: [2, 2], strides: [2, 2], pad: "valid" },
    );
    expect(Array.from(wasm.values)).toEqual([0, 5, 0, 0]);
    expect(Array.from(cpu.values)).toEqual([0, 5, 0, 0]);
  });
});

describe("an MLP's gradients through tfjs-layers' fused dense path, wasm vs cpu", () => {
  it("agree", async () => {
    async function gradsOn(backend: "wasm" | "cpu"): Promise<Float32Array[]> {
      await tf.setBackend(backend);
      const x = tf.tensor2d(randomValues(8 * 20, 1), [8, 20]);
      const w1 = tf.tensor2d(randomValues(20 * 16, 2), [20, 16]);
      const b1 = tf.tensor1d(randomValues(16, 3));
      const w2 = tf.tensor2d(randomValues(16 * 3, 4), [16, 3]);
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const h = tf.fused.matMul({ a: x, b: a as tf.Tensor2D, bias: b, activation: "relu" });
        return tf.mean(tf.square(tf.matMul(h, c)));
      };
      const grads = tf.grads(f)([w1, b1, w2]);
      const values = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
      tf.dispose([x, w1, b1, w2, ...grads]);
      return values;
    }
    const cpu = await gradsOn("cpu");
    const wasm = await gradsOn("wasm");
    for (const [i, grad] of wasm.entries()) {
      expect(relativeError(grad, cpu[i]!)).toBeLessThanOrEqual(1e-5);
    }
  });
});

describe("unregisterWasmTrainingKernels", () => {
  it("restores stock wasm (no Conv2DBackpropFilter) and registering again brings tipi's back", async () => {
    const tipiMaxPoolGrad = tf.getKernel("MaxPoolGrad", "wasm");
    unregisterWasmTrainingKernels();
    try {
      expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeUndefined();
      const stock = tf.getKernel("MaxPoolGrad", "wasm");
      expect(stock).toBeDefined();
      expect(stock?.kernelFunc).not.toBe(tipiMaxPoolGrad?.kernelFunc);
      await tf.setBackend("wasm");
      const x = tf.randomNormal([1, 4, 4, 1]);
      const w = tf.randomNormal([2, 2, 1, 1]);
      expect(() =>
        tf.grad((f: tf.Tensor) =>
          tf.sum(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, "valid")),
        )(w),
      ).toThrow(/Conv2DBackpropFilter/);
      tf.dispose([x, w]);
    } finally {
      registerWasmTrainingKernels();
    }
    expect(tf.getKernel("MaxPoolGrad", "wasm")?.kernelFunc).toBe(tipiMaxPoolGrad?.kernelFunc);
  });
});
