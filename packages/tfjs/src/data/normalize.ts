import { DatasetError } from "./errors.ts";

/**
 * How raw 0–255 pixel values become the floats a model sees:
 * `x = ((scale ? v / 255 : v) - mean[c]) / std[c]`. Defaults: scale to [0, 1], no
 * mean/std. `mean`/`std` take one number or one per channel (use {@link channelStats}
 * on the training set to get them).
 */
export interface NormalizeOptions {
  /** Divide by 255 first (default true). */
  readonly scale?: boolean;
  readonly mean?: number | readonly number[];
  readonly std?: number | readonly number[];
}

/** @internal Per-channel affine form of the options: `x = v * mul[c] + add[c]`. */
export function affineOf(
  options: NormalizeOptions | undefined,
  channels: number,
): { mul: Float64Array; add: Float64Array } {
  const scale = options?.scale === false ? 1 : 1 / 255;
  const mean = perChannel(options?.mean ?? 0, channels, "mean");
  const std = perChannel(options?.std ?? 1, channels, "std");
  const mul = new Float64Array(channels);
  const add = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    if (!(std[c]! > 0)) throw new DatasetError(`normalize.std must be > 0, got ${std[c]}`);
    mul[c] = scale / std[c]!;
    add[c] = -mean[c]! / std[c]!;
  }
  return { mul, add };
}

function perChannel(value: number | readonly number[], channels: number, name: string): number[] {
  if (typeof value === "number") return new Array<number>(channels).fill(value);
  if (value.length === 1) return new Array<number>(channels).fill(value[0]!);
  if (value.length !== channels) {
    throw new DatasetError(
      `normalize.${name} has ${value.length} values but the images have ${channels} channels`,
    );
  }
  return [...value];
}

/**
 * Converts interleaved (HWC) raw pixel values to normalised floats, written into
 * `out` at `offset`.
 * @internal
 */
export function normalizeInto(
  raw: ArrayLike<number>,
  channels: number,
  affine: { mul: Float64Array; add: Float64Array },
  out: Float32Array,
  offset = 0,
): void {
  const { mul, add } = affine;
  if (channels === 1) {
    const m = mul[0]!;
    const a = add[0]!;
    for (let i = 0; i < raw.length; i++) out[offset + i] = raw[i]! * m + a;
    return;
  }
  for (let i = 0; i < raw.length; i++) {
    const c = i % channels;
    out[offset + i] = raw[i]! * mul[c]! + add[c]!;
  }
}

/** Per-channel mean and standard deviation of a dataset's (already normalised) pixels. */
export function channelStats(ds: {
  readonly images: Float32Array;
  readonly shape: readonly [number, number, number];
}): { mean: number[]; std: number[] } {
  const channels = ds.shape[2];
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  const { images } = ds;
  for (let i = 0; i < images.length; i++) {
    const c = i % channels;
    const v = images[i]!;
    sum[c]! += v;
    sumSq[c]! += v * v;
  }
  const count = images.length / channels;
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sumSq, (s, c) => Math.sqrt(Math.max(s / count - mean[c]! ** 2, 0)));
  return { mean, std };
}
