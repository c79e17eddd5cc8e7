/**
 * A small seedable PRNG (sfc32) whose whole state is four uint32s, so it can be written into a
 * checkpoint and restored to continue the exact same sequence.
 */
export type RngState = readonly [number, number, number, number];

/** Mixes `seed` and `parts` into one uint32 (murmur3's finaliser): stable, order-sensitive. */
export function deriveSeed(seed: number, ...parts: readonly number[]): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  for (const part of [...parts, parts.length]) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Seedable random numbers with serialisable state (`state()` / `Rng.fromState`). */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  private constructor(state: RngState) {
    [this.#a, this.#b, this.#c, this.#d] = state;
  }

  /** A generator for `seed`; equal seeds give equal sequences. */
  static fromSeed(seed: number): Rng {
    const s = seed >>> 0;
    const rng = new Rng([0x9e3779b9, 0x243f6a88, 0xb7e15162, s]);
    for (let i = 0; i < 12; i++) rng.nextUint32();
    return rng;
  }

  /** A generator continuing exactly where the one that produced `state` stood. */
  static fromState(state: RngState): Rng {
    if (state.length !== 4 || !state.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)) {
      throw new TypeError(`invalid RNG state ${JSON.stringify(state)}`);
    }
    return new Rng(state);
  }

  /** The current state, four uint32s; JSON-safe. */
  state(): RngState {
    return [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0];
  }

  /** The next uint32. */
  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles `array` in place (Fisher–Yates) and returns it. */
  shuffle<T extends MutableList>(array: T): T {
    return shuffleWith(array, this.random);
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    return permutationWith(n, this.random);
  }

  /** `next` bound to this generator, for APIs that take `() => number`. */
  get random(): () => number {
    return () => this.next();
  }
}

type MutableList = { [i: number]: unknown; length: number };

/**
 * Fisher–Yates over any `[0, 1)` source: the one shuffle behind {@link Rng.shuffle}, the data
 * module's `shuffledOrder` and `splitDataset`.
 */
export function shuffleWith<T extends MutableList>(array: T, random: () => number): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}

/** `0 … n-1` shuffled by {@link shuffleWith}. */
export function permutationWith(n: number, random: () => number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleWith(order, random);
}
