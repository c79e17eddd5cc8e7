/**
 * Level 3: level 2 plus device management. `deviceManager.getDevice()` picks the fastest
 * backend this machine has (tfjs-node-gpu → tfjs-node → wasm → cpu) and says why.
 *
 *   TIPI_SMALL=1 pnpm tsx examples/progressive/level-3/train.ts
 */
import { deviceManager, logger, progressBar } from "tipi";
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

const settings = defaultSettings();
const device = await deviceManager.getDevice();
console.log(`device ${device.backend}: ${device.reason}`);
const run = logger.init({
  project: "progressive",
  config: { ...settings, backend: device.backend },
});
console.log(`logging to ${run.runDir}`);
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
console.log(`test accuracy ${accuracy.toFixed(4)}`);
