import type { Augmentation } from "./augment.ts";

/** One built-in augmentation and its options: data that can cross to a worker thread. */
export type AugmentStep =
  | { readonly kind: "flipHorizontal"; readonly options: { readonly probability?: number } }
  | {
      readonly kind: "randomCrop";
      readonly options: { readonly padding: number; readonly fill?: number };
    }
  | {
      readonly kind: "gaussianNoise";
      readonly options: { readonly std: number; readonly clip?: readonly [number, number] };
    };

/** How to rebuild an augmentation elsewhere: its built-in steps, left to right. */
export type AugmentRecipe = readonly AugmentStep[];

const recipes = new WeakMap<Augmentation, AugmentRecipe>();

/** Records how `augmentation` was built (by the factories in augment.ts); returns it. */
export function withRecipe(augmentation: Augmentation, recipe: AugmentRecipe): Augmentation {
  recipes.set(augmentation, recipe);
  return augmentation;
}

/**
 * The recipe of an augmentation built from tipi's factories (`flipHorizontal`, `randomCrop`,
 * `gaussianNoise`, `composeAugmentations` of those), or `undefined` for a function of one's
 * own, which cannot leave the thread it was made on.
 */
export function recipeOf(augmentation: Augmentation): AugmentRecipe | undefined {
  return recipes.get(augmentation);
}
