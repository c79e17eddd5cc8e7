import { fileURLToPath } from "node:url";

/**
 * The folder holding the Fashion-MNIST subset: `train-images-idx3-ubyte.gz`,
 * `train-labels-idx1-ubyte.gz` (12,000 items) and `t10k-images-idx3-ubyte.gz`,
 * `t10k-labels-idx1-ubyte.gz` (2,000 items), in the original IDX format. MIT, Zalando Research.
 */
export const FASHION_MNIST_DIR: string = fileURLToPath(new URL("../data/", import.meta.url));

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
