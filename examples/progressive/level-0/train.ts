/**
 * Level 0: a raw script. No framework: loops, console.log, and the shared training code.
 *
 *   pnpm tsx examples/progressive/level-0/train.ts            # full run
 *   TIPI_SMALL=1 pnpm tsx examples/progressive/level-0/train.ts  # a few seconds
 */
import {
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

for (let epoch = 0; epoch < settings.epochs; epoch++) {
  let total = 0;
  let count = 0;
  for await (const batch of epochBatches(data, settings, epoch)) {
    total += trainStep(model, optimizer, batch);
    count++;
  }
  console.log(`epoch ${epoch + 1}/${settings.epochs} loss ${(total / count).toFixed(4)}`);
}
console.log(`test accuracy ${evaluate(model, data.test).toFixed(4)}`);
