/**
 * Input-pipeline throughput against what training consumes.
 *
 *   pnpm tsx bench/data.bench.ts [--images 2000]
 *
 * Reference consumption: the small CNN (conv3×3×16, pool, conv3×3×32, pool, dense64,
 * dense10) trains at ~1.5k samples/s on wasm with tipi's kernels (FACTS.md; batch 64,
 * one thread). Every figure is reported as images/s and as a multiple of that rate, and
 * the two PNG decoders as a ratio measured in the same run.
 *
 * The machine is shared with other jobs, so wall-clock times mostly measure how long we
 * waited for a core. Times here are this process's CPU time (all its threads, so sharp's
 * and libuv's work counts), which is what the input pipeline takes away from training;
 * tasks run interleaved in `--rounds` rounds and each keeps its fastest run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import {
  type Augmentation,
  batches,
  flipHorizontal,
  gaussianNoise,
  type ImageDataset,
  loadFashionMnist,
  loadImageFolder,
  randomCrop,
  saveImageFolder,
  seededRandom,
  shuffledOrder,
} from "../packages/tfjs/src/data/index.ts";

const TRAINING_RATE = 1_500; // samples/s, small CNN on wasm (FACTS.md)
const { values } = parseArgs({
  options: {
    images: { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
  },
});
const folderImages = Number(values.images);
const rounds = Number(values.rounds);

const train = await loadFashionMnist("train");
const root = await mkdtemp(join(tmpdir(), "tipi-data-bench-"));
const pngDir = join(root, "png");
const jpegDir = join(root, "jpeg");
await writeImageFolders(train, folderImages);

async function epoch(ds: ImageDataset, augment?: Augmentation[]): Promise<void> {
  const order = shuffledOrder(ds.length, seededRandom(1));
  for await (const _ of batches(ds, order, 64, { augment, seed: 1 })) {
    // consume only: measures the input pipeline alone
  }
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const bench = new Bench({ iterations: 3, time: 0, warmupIterations: 1, now: cpuMs });
const items = new Map<string, number>();
const add = (name: string, count: number, fn: () => Promise<unknown>) => {
  items.set(name, count);
  bench.add(name, fn);
};
add("IDX load, 12k gz (loadFashionMnist)", train.length, () => loadFashionMnist("train"));
add("batches, 12k, batch 64", train.length, () => epoch(train));
add("batches + flip + crop(2)", train.length, () =>
  epoch(train, [flipHorizontal(), randomCrop({ padding: 2 })]),
);
add("batches + flip + crop(2) + noise", train.length, () =>
  epoch(train, [flipHorizontal(), randomCrop({ padding: 2 }), gaussianNoise({ std: 0.05 })]),
);
add(`image folder, ${folderImages} PNG 28×28, pngjs (auto)`, folderImages, () =>
  loadImageFolder(pngDir, { channels: 1 }),
);
add(`image folder, ${folderImages} PNG 28×28, sharp`, folderImages, () =>
  loadImageFolder(pngDir, { channels: 1, decoder: "sharp" }),
);
add(`image folder, ${folderImages} JPEG 28×28, sharp`, folderImages, () =>
  loadImageFolder(jpegDir, { channels: 1 }),
);
const bestMs = new Map<string, number>();
for (let round = 0; round < rounds; round++) {
  await bench.run();
  for (const task of bench.tasks) {
    const result = task.result;
    const ms = "latency" in result ? result.latency.min : Number.NaN;
    bestMs.set(task.name, Math.min(bestMs.get(task.name) ?? Number.POSITIVE_INFINITY, ms));
  }
}

const rates = new Map<string, number>();
const rows = [...bestMs.entries()].map(([name, ms]) => {
  const rate = (items.get(name)! / ms) * 1000;
  rates.set(name, rate);
  return {
    task: name,
    "best CPU ms": ms.toFixed(1),
    "images/CPU-s": Math.round(rate),
    "× training (1.5k/s)": (rate / TRAINING_RATE).toFixed(1),
  };
});
console.table(rows);
const png = [...rates.entries()].filter(([name]) => name.includes("PNG")).map(([, r]) => r);
console.log(`pngjs / sharp on 28×28 PNG (same run): ${(png[0]! / png[1]!).toFixed(2)}×`);
await rm(root, { recursive: true, force: true });

/** Writes the first `count` training images as greyscale PNG and JPEG class folders. */
async function writeImageFolders(ds: ImageDataset, count: number): Promise<void> {
  await saveImageFolder(ds, pngDir, { limit: count });
  await saveImageFolder(ds, jpegDir, { limit: count, format: "jpeg" });
}
