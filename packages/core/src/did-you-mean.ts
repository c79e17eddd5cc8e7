/**
 * "Did you mean …?" suggestions for misspelt names (config keys, types, commands, options).
 * Dependency-free, and importable alone as `@tipi/core/did-you-mean` so a CLI's cold start
 * need not load the rest of core.
 */

/** Edit distance (Levenshtein) between `a` and `b`, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[y.length]!;
}

/**
 * The candidate closest to `word` when it is plausibly a typo of it: at most
 * max(2, ⌈length / 3⌉) edits away.
 * @example
 * nearest("Trainig", ["Training", "Evaluation"]); // "Training"
 * nearest("zzz", ["Training"]); // undefined
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.ceil(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/**
 * `did you mean "x"?` for the {@link nearest} candidate, or `undefined` when none is close.
 * @example
 * didYouMean("epoch", ["epochs", "batchSize"]); // 'did you mean "epochs"?'
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = nearest(word, candidates);
  return match === undefined ? undefined : `did you mean "${match}"?`;
}
