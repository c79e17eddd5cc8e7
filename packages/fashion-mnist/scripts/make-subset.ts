/**
 * Rebuilds the Fashion-MNIST subset shipped in `packages/fashion-mnist/data/` from Debian's
 * `dataset-fashion-mnist` package (the original IDX files, MIT licence).
 *
 *   apt-get install dataset-fashion-mnist
 *   pnpm tsx packages/fashion-mnist/scripts/make-subset.ts [sourceDir]
 *
 * Takes the first 12,000 training and the first 2,000 test examples, unshuffled, and
 * writes them as gzipped IDX files. The output is byte-for-byte reproducible: gzip
 * headers carry no timestamp and the compression level is fixed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { FASHION_MNIST_CLASSES } from "../src/index.ts";

const SOURCE_DIR = process.argv[2] ?? "/usr/share/datasets/fashion-mnist";
const OUT_DIR = fileURLToPath(new URL("../data/", import.meta.url));
const TRAIN_COUNT = 12_000;
const TEST_COUNT = 2_000;

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

/** Reads an IDX file, checks its magic number, and returns its header dims and body. */
function readIdx(file: string, magic: number): { dims: number[]; body: Buffer } {
  const raw = gunzipSync(readFileSync(file));
  if (raw.readUInt32BE(0) !== magic) throw new Error(`${file}: unexpected IDX magic number`);
  const rank = raw[3]!;
  const dims = Array.from({ length: rank }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  return { dims, body: raw.subarray(4 + 4 * rank) };
}

/** Writes the first `count` items of an IDX file as gzipped IDX. */
function writeSubset(name: string, magic: number, count: number): Buffer {
  const { dims, body } = readIdx(join(SOURCE_DIR, name), magic);
  if (dims[0]! < count) throw new Error(`${name}: holds ${dims[0]} items, need ${count}`);
  const itemSize = dims.slice(1).reduce((a, b) => a * b, 1);
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  for (const [i, d] of [count, ...dims.slice(1)].entries()) header.writeUInt32BE(d, 4 + 4 * i);
  const items = body.subarray(0, count * itemSize);
  const gz = gzipSync(Buffer.concat([header, items]), { level: constants.Z_BEST_COMPRESSION });
  writeFileSync(join(OUT_DIR, name), gz);
  console.log(`${name}: ${count} items, ${gz.length} bytes gzipped`);
  return items;
}

function classBalance(labels: Buffer): string {
  const counts = new Array<number>(FASHION_MNIST_CLASSES.length).fill(0);
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts.map((c, i) => `${i} ${FASHION_MNIST_CLASSES[i]}: ${c}`).join("\n");
}

writeSubset("train-images-idx3-ubyte.gz", IMAGES_MAGIC, TRAIN_COUNT);
const trainLabels = writeSubset("train-labels-idx1-ubyte.gz", LABELS_MAGIC, TRAIN_COUNT);
writeSubset("t10k-images-idx3-ubyte.gz", IMAGES_MAGIC, TEST_COUNT);
const testLabels = writeSubset("t10k-labels-idx1-ubyte.gz", LABELS_MAGIC, TEST_COUNT);
console.log(`\ntrain class balance:\n${classBalance(trainLabels)}`);
console.log(`\ntest class balance:\n${classBalance(testLabels)}`);
