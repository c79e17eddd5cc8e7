import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../src/backend/resolve-backend.ts";
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
} from "../src/kernels/register-wasm-training-kernels.ts";
import { randomValues } from "./kernels-helpers.ts";

beforeAll(async () => {
  await resolveBackend({ backend: "wasm", env: {} });
});

/** tf.sum on wasm with tipi's kernels, then with the stock ones: values, shape. */
function both(shape: number[], axis: number | number[] | undefined, keepDims = false) {
  const x = tf.tensor(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      3,
    ),
    shape,
  );
  const run = () => {
    const out = tf.sum(x, axis, keepDims);
    const result = { shape: out.shape, values: out.dataSync() as Float32Array };
    out.dispose();
    return result;
  };
  const tipi = run();
  unregisterWasmTrainingKernels();
  try {
    return { tipi, stock: run() };
  } finally {
    registerWasmTrainingKernels();
    x.dispose();
  }
}

describe("Sum on wasm (every axis but the last, read in place)", () => {
  it.each([
    {
      name: "a conv bias gradient [64, 26, 26, 16] → [16]",
      shape: [64, 26, 26, 16],
      axis: [0, 1, 2],
    },
    { name: "a dense bias gradient [64, 10] → [10]", shape: [64, 10], axis: 0 },
    { name: "axes given out of order (stock)", shape: [3, 5, 7], axis: [1, 0] },
    { name: "keepDims", shape: [4, 6, 3], axis: [0, 1], keepDims: true },
    { name: "another reduction (stock)", shape: [4, 6, 3], axis: [1, 2] },
    { name: "everything (stock)", shape: [4, 6], axis: undefined },
  ])("gives the stock kernel's bits: $name", ({ shape, axis, keepDims }) => {
    const { tipi, stock } = both(shape, axis, keepDims);
    expect(tipi.shape).toEqual(stock.shape);
    expect(Buffer.from(tipi.values.buffer).equals(Buffer.from(stock.values.buffer))).toBe(true);
  });

  it("sums an empty batch to zeros (the stock kernel returns uninitialised memory)", () => {
    const out = tf.sum(tf.zeros([0, 3]), 0);
    expect(Array.from(out.dataSync())).toEqual([0, 0, 0]);
    out.dispose();
  });
});
