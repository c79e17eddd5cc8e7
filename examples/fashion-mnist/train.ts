/**
 * Runs the Fashion-MNIST pipeline directly (no CLI):
 *   pnpm tsx examples/fashion-mnist/train.ts [--epochs N] [--train-limit N] [--backend wasm]
 *     [--run-dir DIR] [--resume]
 * Prints one line per epoch and the final test accuracy, wall time and samples/s.
 */
import { parseArgs } from "node:util";
import type { TipiEvent } from "tipi";
import { fashionMnistPipeline } from "./pipeline.ts";

const { values } = parseArgs({
  options: {
    epochs: { type: "string" },
    "train-limit": { type: "string" },
    "test-limit": { type: "string" },
    backend: { type: "string", default: "auto" },
    "run-dir": { type: "string" },
    resume: { type: "boolean", default: false },
    lr: { type: "string" },
  },
});

const started = performance.now();
const controller = new AbortController();
process.once("SIGINT", () => controller.abort(new Error("interrupted")));
const onEvent = (e: TipiEvent) => {
  if (e.type === "metric" && e.values["val/accuracy"] !== undefined) {
    const v = e.values;
    console.log(
      `epoch ${(e.epoch ?? 0) + 1}: loss ${v["train/epoch_loss"]?.toFixed(4)} acc ${v["train/epoch_accuracy"]?.toFixed(4)} · val loss ${v["val/loss"]?.toFixed(4)} acc ${v["val/accuracy"]?.toFixed(4)} · ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
};

const pipeline = fashionMnistPipeline({
  device: { backend: values.backend as "auto" },
  hyperparameters: {
    ...(values.epochs ? { epochs: Number(values.epochs) } : {}),
    ...(values.lr ? { learningRate: Number(values.lr) } : {}),
  },
  data: {
    ...(values["train-limit"] ? { trainLimit: Number(values["train-limit"]) } : {}),
    ...(values["test-limit"] ? { testLimit: Number(values["test-limit"]) } : {}),
  },
});
const result = await pipeline.run(undefined, {
  onEvent,
  signal: controller.signal,
  resume: values.resume,
  ...(values["run-dir"] ? { runDir: values["run-dir"] } : {}),
});
if (result.isErr()) {
  console.error(`failed: ${result.error.kind}: ${result.error.message}`);
  process.exit(1);
}
const s = result.value;
const cpu = process.cpuUsage();
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(
  JSON.stringify({
    backend: s.backend,
    parameters: s.parameters,
    testAccuracy: s.evaluation.accuracy,
    trainSamplesPerSecond: Math.round(s.training.samplesPerSecond),
    epochs: s.training.epochs,
    wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    // On a shared machine the wall time includes waiting for a core; CPU time does not.
    cpuSeconds: Number(cpuSeconds.toFixed(1)),
  }),
);
