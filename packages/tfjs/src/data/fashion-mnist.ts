import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ImageDataset } from "./dataset.ts";
import { type LoadIdxOptions, loadIdx } from "./idx.ts";

/** Fashion-MNIST's class names, indexed by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
]);

/** The folder holding the Fashion-MNIST subset committed in this repository. */
export const FASHION_MNIST_DIR = fileURLToPath(
  new URL("../../../../examples/fashion-mnist/data/", import.meta.url),
);

/**
 * Loads the embedded Fashion-MNIST subset (12,000 train / 2,000 test images, 28×28×1,
 * scaled to [0, 1]) with no download, or the same file names from `dir`.
 * @example
 * const test = await loadFashionMnist("test");
 */
export function loadFashionMnist(
  split: "train" | "test",
  options: LoadIdxOptions & { readonly dir?: string } = {},
): Promise<ImageDataset> {
  const dir = options.dir ?? FASHION_MNIST_DIR;
  const prefix = split === "train" ? "train" : "t10k";
  return loadIdx(
    {
      images: join(dir, `${prefix}-images-idx3-ubyte.gz`),
      labels: join(dir, `${prefix}-labels-idx1-ubyte.gz`),
    },
    { classNames: FASHION_MNIST_CLASSES, ...options },
  );
}
