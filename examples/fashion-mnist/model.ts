import { type ModelBuilder, smallCnn } from "tipi";

/**
 * The example's small CNN: conv3×3×16 → maxpool → conv3×3×32 → maxpool → dense64 → dense10.
 * Every initialiser is seeded, so a given seed always builds the same weights. It is
 * @tipi/tfjs's built-in `small-cnn` (the architecture pipeline.toml names), so the DSL and TOML
 * pipelines train the same network; to try another one, write your own {@link ModelBuilder}
 * here (see `smallCnn` in packages/tfjs/src/train/architectures.ts).
 */
export const fashionCnn: ModelBuilder = smallCnn;

export default fashionCnn;
