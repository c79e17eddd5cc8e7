/**
 * Level 1: level 0 plus progress bars. One import; the loops are wrapped in `progressBar`.
 *
 *   TIPI_SMALL=1 pnpm tsx examples/progressive/level-1/train.ts
 */
import { progressBar } from "tipi";
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
const data = await loadData(settings);
const model = buildModel(settings.seed);
const optimizer = createOptimizer(settings);

for (const epoch of progressBar(settings.epochs, { label: "Epoch" })) {
  let total = 0;
  let count = 0;
  for await (const batch of progressBar(epochBatches(data, settings, epoch), {
    label: "Batch",
    total: batchesPerEpoch(data, settings),
  })) {
    total += trainStep(model, optimizer, batch);
    count++;
  }
  console.log(`epoch ${epoch + 1}/${settings.epochs} loss ${(total / count).toFixed(4)}`);
}
console.log(`test accuracy ${evaluate(model, data.test).toFixed(4)}`);
