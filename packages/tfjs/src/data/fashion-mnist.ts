import { join } from "node:path";
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR } from "@tipi/fashion-mnist";
import type { ImageDataset } from "./dataset.ts";
import { type LoadIdxOptions, loadIdx } from "./idx.ts";

export { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR };

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
