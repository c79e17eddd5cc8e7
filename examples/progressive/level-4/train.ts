/**
 * Level 4: the training loop becomes a function wrapped with `pipelineProcess`. Its params
 * are a schema (validated, with defaults); it still runs as a script, and the same function
 * is now ready to be a step of a pipeline (level 5).
 *
 *   TIPI_SMALL=1 pnpm tsx examples/progressive/level-4/train.ts
 */
import { pathToFileURL } from "node:url";
import { deviceManager, logger, pipelineProcess, progressBar } from "tipi";
import { z } from "zod";
import {
  batchesPerEpoch,
  buildModel,
  createOptimizer,
  defaultSettings,
  epochBatches,
  evaluate,
  loadData,
  trainStep,
} from "../shared/train-step.ts";

const defaults = defaultSettings();

/** The function's params: every setting, with this mode's defaults. */
export const trainParams = z.object({
  epochs: z.number().int().positive().default(defaults.epochs),
  batchSize: z.number().int().positive().default(defaults.batchSize),
  learningRate: z.number().positive().default(defaults.learningRate),
  trainSize: z.number().int().positive().default(defaults.trainSize),
  testSize: z.number().int().positive().default(defaults.testSize),
  seed: z.number().int().default(defaults.seed),
});

/** Trains the shared model; returns the test accuracy and the backend it ran on. */
export const train = pipelineProcess({ name: "train", params: trainParams }, async (settings) => {
  const device = await deviceManager.getDevice();
  logger.init({ project: "progressive", config: { ...settings, backend: device.backend } });
  const data = await loadData(settings);
  const model = buildModel(settings.seed);
  const optimizer = createOptimizer(settings);

  let step = 0;
  for (const epoch of progressBar(settings.epochs, { label: "Epoch" })) {
    for await (const batch of progressBar(epochBatches(data, settings, epoch), {
      label: "Batch",
      total: batchesPerEpoch(data, settings),
    })) {
      logger.log({ loss: trainStep(model, optimizer, batch) }, ++step);
    }
  }
  const accuracy = evaluate(model, data.test);
  logger.log({ test_accuracy: accuracy }, step);
  await logger.finish();
  optimizer.dispose();
  model.dispose();
  return { accuracy, backend: device.backend };
});

// Run as a script: `train` is an ordinary async function.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { accuracy, backend } = await train({});
  console.log(`device ${backend}`);
  console.log(`test accuracy ${accuracy.toFixed(4)}`);
}
