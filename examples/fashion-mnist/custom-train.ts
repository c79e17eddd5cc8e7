/**
 * The same pipeline with a hand-written training loop in the `train` join:
 *   pnpm tsx examples/fashion-mnist/custom-train.ts [--epochs N] [--train-limit N]
 * Permanences, the describe and evaluate stages are unchanged; only the join differs.
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { Rng, type TipiEvent } from "tipi";
import { fashionMnistBase } from "./pipeline.ts";

/** Plain mini-batch SGD with momentum, no checkpoints: the smallest loop that fits the join. */
export function customPipeline(options: { epochs: number; trainLimit?: number; backend?: string }) {
  return fashionMnistBase({
    device: { backend: (options.backend ?? "auto") as "auto" },
    data: options.trainLimit ? { trainLimit: options.trainLimit } : {},
  }).provideJoin("train", async (state, ctx) => {
    const model = ctx.get("network").model;
    const data = ctx.get("data").train;
    const { batchSize, seed } = ctx.get("hyperparameters").values;
    const optimizer = tf.train.momentum(0.05, 0.9);
    const rng = Rng.fromSeed(seed);
    const [h, w, c] = data.shape;
    const started = performance.now();
    let steps = 0;
    const history = [];
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const order = rng.permutation(data.length);
      let lossSum = 0;
      for (let start = 0; start < data.length; start += batchSize) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        const idx = order.subarray(start, start + batchSize);
        const pixels = h * w * c;
        const batch = new Float32Array(idx.length * pixels);
        const labels = new Int32Array(idx.length);
        idx.forEach((item, i) => {
          batch.set(data.images.subarray(item * pixels, (item + 1) * pixels), i * pixels);
          labels[i] = data.labels[item]!;
        });
        const loss = tf.tidy(() => {
          const xs = tf.tensor4d(batch, [idx.length, h, w, c]);
          const ys = tf.oneHot(tf.tensor1d(labels, "int32"), data.numClasses);
          const cost = optimizer.minimize(() => {
            const probs = model.apply(xs, { training: true }) as tf.Tensor;
            return tf.neg(
              tf.mean(tf.sum(tf.mul(ys, tf.log(tf.add(probs, 1e-7))), -1)),
            ) as tf.Scalar;
          }, true);
          return cost!.dataSync()[0]!;
        });
        lossSum += loss * idx.length;
        steps++;
        ctx.emit({
          type: "progress",
          id: "custom:batch",
          label: "Batch",
          current: start + idx.length,
          total: data.length,
        });
      }
      const values = { "train/epoch_loss": lossSum / data.length };
      ctx.emit({ type: "metric", epoch, step: steps, values });
      history.push({ epoch, step: steps, values });
      // Let Ctrl-C and timers through between epochs.
      await new Promise((resolve) => setImmediate(resolve));
    }
    optimizer.dispose();
    const seconds = (performance.now() - started) / 1000;
    return {
      ...state,
      training: {
        epochs: options.epochs,
        steps,
        history,
        stoppedEarly: false,
        samplesPerSecond: (options.epochs * data.length) / seconds,
      },
    };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      epochs: { type: "string", default: "2" },
      "train-limit": { type: "string" },
      backend: { type: "string", default: "auto" },
    },
  });
  const pipeline = customPipeline({
    epochs: Number(values.epochs),
    backend: values.backend,
    ...(values["train-limit"] ? { trainLimit: Number(values["train-limit"]) } : {}),
  });
  const onEvent = (e: TipiEvent) => {
    if (e.type === "metric" && e.epoch !== undefined) console.log(`epoch ${e.epoch + 1}`, e.values);
  };
  const result = await pipeline.run(undefined, { onEvent });
  if (result.isErr()) {
    console.error(`${result.error.kind}: ${result.error.message}`);
    process.exit(1);
  }
  console.log(`test accuracy ${result.value.evaluation.accuracy.toFixed(4)}`);
}
