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
  let total = 0;
  let count = 0;
  for await (const batch of progressBar(epochBatches(data, settings, epoch), {
    label: "Batch",
    total: batchesPerEpoch(data, settings),
  })) {
    const loss = trainStep(model, optimizer, batch);
    logger.log({ loss }, ++step);
    total += loss;
    count++;
  }
  console.log(`epoch ${epoch + 1}/${settings.epochs} loss ${(total / count).toFixed(4)}`);
}
const accuracy = evaluate(model, data.test);
logger.log({ test_accuracy: accuracy }, step);
await logger.finish();
console.log(`test accuracy ${accuracy.toFixed(4)}`);
