/**
 * Training throughput (samples/s, batch 64, Adam) of the small CNN and the MLP from FACTS.md on:
 * wasm with tipi's kernels, stock wasm (the CNN fails there: no Conv2DBackpropFilter), stock wasm
 * plus only the composed Conv2DBackpropFilter (the least that trains a CNN), and cpu.
 * Everything runs in one process, one after the other, so the ratios are comparable even on a
 * shared machine; absolute figures are not.
 *
 *   pnpm tsx bench/models.bench.ts            # all
 *   pnpm tsx bench/models.bench.ts --no-cpu   # skip the slow cpu CNN (≈10 s a step)
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import {
  registerWasmTrainingKernels,
  resolveBackend,
  unregisterWasmTrainingKernels,
} from "../packages/tfjs/src/index.ts";
import { conv2DBackpropFilterConfig } from "../packages/tfjs/src/kernels/conv2d-backprop-filter.ts";
import { medianMs, printTable } from "./timing.ts";

const BATCH = 64;

function smallCnn(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 16,
        kernelSize: 3,
        activation: "relu",
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu" }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 64, activation: "relu" }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
}

function mlp(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 256, activation: "relu" }),
      tfl.layers.dense({ units: 128, activation: "relu" }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
}

interface ModelCase {
  readonly name: string;
  readonly build: () => tfl.Sequential;
  readonly inputShape: number[];
}

const MODELS: ModelCase[] = [
  { name: "CNN", build: smallCnn, inputShape: [BATCH, 28, 28, 1] },
  { name: "MLP", build: mlp, inputShape: [BATCH, 784] },
];

/** Samples/s of `optimizer.minimize` steps, or the error that stopped the first step. */
async function trainingRate(
  model: ModelCase,
  runs: number,
  warmup: number,
): Promise<number | string> {
  const net = model.build();
  const optimizer = tf.train.adam(1e-3);
  const xs = tf.randomNormal(model.inputShape);
  const ys = tf.oneHot(tf.randomUniform([BATCH], 0, 10, "int32") as tf.Tensor1D, 10);
  const step = () => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(ys, net.apply(xs) as tf.Tensor) as tf.Scalar,
      true,
    );
    loss?.dataSync();
    loss?.dispose();
  };
  try {
    const ms = await medianMs(step, { runs, warmup });
    return (BATCH * 1000) / ms;
  } catch (error) {
    return `fails: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`;
  } finally {
    tf.dispose([xs, ys]);
    optimizer.dispose();
    net.dispose();
  }
}

const withCpu = !process.argv.includes("--no-cpu");
await resolveBackend({ backend: "wasm" });
const rows: (string | number)[][] = [
  ["model", "backend", "samples/s", "× stock wasm", "× filter-grad only", "× cpu"],
];
for (const model of MODELS) {
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  const tipi = await trainingRate(model, 15, 3);
  unregisterWasmTrainingKernels();
  const stock = await trainingRate(model, 15, 3);
  tf.registerKernel(conv2DBackpropFilterConfig);
  const filterOnly = await trainingRate(model, 15, 3);
  tf.unregisterKernel(conv2DBackpropFilterConfig.kernelName, "wasm");
  registerWasmTrainingKernels();
  let cpu: number | string = "skipped";
  if (withCpu) {
    await tf.setBackend("cpu");
    cpu = model.name === "CNN" ? await trainingRate(model, 2, 0) : await trainingRate(model, 7, 2);
  }
  const ratio = (a: number | string, b: number | string) =>
    typeof a === "number" && typeof b === "number" ? (a / b).toFixed(1) : "–";
  rows.push([
    model.name,
    "wasm + tipi kernels",
    tipi,
    ratio(tipi, stock),
    ratio(tipi, filterOnly),
    ratio(tipi, cpu),
  ]);
  rows.push([model.name, "stock wasm", stock, "", "", ""]);
  rows.push([model.name, "stock wasm + Conv2DBackpropFilter only", filterOnly, "", "", ""]);
  rows.push([model.name, "cpu", cpu, "", "", ""]);
}
printTable(rows);
