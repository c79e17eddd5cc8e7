import * as tfl from "@tensorflow/tfjs-layers";
import { type ModelBuilder, seededInitializers } from "@tipi/tfjs";

/**
 * The example's small CNN: conv3×3×16 → maxpool → conv3×3×32 → maxpool → dense64 → dense10.
 * Every initialiser is seeded, so a given seed always builds the same weights.
 */
export const fashionCnn: ModelBuilder = ({ inputShape, numClasses, seed }) => {
  const init = seededInitializers(seed);
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [...inputShape],
        filters: 16,
        kernelSize: 3,
        activation: "relu",
        kernelInitializer: init(),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({
        filters: 32,
        kernelSize: 3,
        activation: "relu",
        kernelInitializer: init(),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 64, activation: "relu", kernelInitializer: init() }),
      tfl.layers.dense({ units: numClasses, activation: "softmax", kernelInitializer: init() }),
    ],
  });
};

export default fashionCnn;
