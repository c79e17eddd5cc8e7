export {
  type Augmentation,
  type BatchShape,
  composeAugmentations,
  flipHorizontal,
  gaussianNoise,
  randomCrop,
} from "./augment.ts";
export { type AugmentRecipe, type AugmentStep, recipeOf } from "./augment-recipe.ts";
export { BatchLoader, type LoaderBatchOptions } from "./batch-loader.ts";
export {
  type Batch,
  type BatchOptions,
  type BatchSource,
  batchCount,
  batches,
  batchRandom,
  type GatheredBatch,
  gatherBatch,
  type LabelledSamples,
} from "./batches.ts";
export {
  type FromArraysOptions,
  fromArrays,
  type ImageDataset,
  type SplitOptions,
  splitDataset,
  standardize,
  subset,
  type TensorLike,
} from "./dataset.ts";
export { DatasetError } from "./errors.ts";
export { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, loadFashionMnist } from "./fashion-mnist.ts";
export {
  encodeIdx,
  type IdxArray,
  type LoadIdxOptions,
  loadIdx,
  parseIdx,
  readIdxFile,
} from "./idx.ts";
export {
  type ImageFolderDataset,
  type ImageFolderOptions,
  loadImageFolder,
  type SkippedFile,
} from "./image-folder.ts";
export { channelStats, type NormalizeOptions } from "./normalize.ts";
export { type Random, seededRandom, shuffledOrder } from "./random.ts";
export { type SaveImageFolderOptions, saveImageFolder } from "./save-image-folder.ts";
