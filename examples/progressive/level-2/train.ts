/**
 * Level 2: level 1 plus experiment tracking. `logger.init` creates a run directory
 * (`runs/progressive/<run-id>/`), `logger.log` appends to its `history.jsonl`.
 *
 *   TIPI_SMALL=1 pnpm tsx examples/progressive/level-2/train.ts
 */
import { logger, progressBar } from "tipi";
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
const run = logger.init({ project: "progressive", config: { ...settings } });
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
