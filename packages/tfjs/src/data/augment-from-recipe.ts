import {
  type Augmentation,
  composeAugmentations,
  flipHorizontal,
  gaussianNoise,
  randomCrop,
} from "./augment.ts";
import type { AugmentRecipe, AugmentStep } from "./augment-recipe.ts";

/** The augmentation a recipe describes (see `recipeOf`): the same draws, the same bits. */
export function augmentationFromRecipe(recipe: AugmentRecipe): Augmentation {
  const build = (step: AugmentStep): Augmentation => {
    switch (step.kind) {
      case "flipHorizontal":
        return flipHorizontal(step.options);
      case "randomCrop":
        return randomCrop(step.options);
      case "gaussianNoise":
        return gaussianNoise(step.options);
    }
  };
  return composeAugmentations(...recipe.map(build));
}
