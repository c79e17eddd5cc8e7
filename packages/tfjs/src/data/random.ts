import { permutationWith, Rng } from "../rng.ts";

/** A source of uniform random numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * A seeded `[0, 1)` stream: `Rng.fromSeed(seed).random`, the same generator (sfc32) whose
 * state training checkpoints. The same seed gives the same sequence on every machine.
 * Use `Rng` directly when the position in the stream must be saved and restored.
 * @example
 * const random = seededRandom(42);
 * random(); // 0.25562830339185894, always
 */
export function seededRandom(seed: number): Random {
  return Rng.fromSeed(seed).random;
}

/**
 * The indices `0 … length-1` in a random order (Fisher–Yates), as an epoch order for
 * `batches`. `Rng.permutation(length)` gives the same order for `rng.random`.
 * @example
 * const order = shuffledOrder(train.length, seededRandom(epochSeed));
 */
export function shuffledOrder(length: number, random: Random): Int32Array {
  return permutationWith(length, random);
}
