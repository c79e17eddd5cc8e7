import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { messageOf } from "@tipi/core";
import { checkLabels, type ImageDataset, makeDataset } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import { affineOf, type NormalizeOptions, normalizeInto } from "./normalize.ts";

const gunzipAsync = promisify(gunzip);
const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  8: "unsigned byte",
  9: "signed byte",
  11: "short",
  12: "int",
  13: "float",
  14: "double",
};

/** The content of one IDX file: its dimensions and its unsigned-byte body. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/**
 * Parses an IDX buffer (unsigned-byte data only, the MNIST format), checking the magic
 * number and that the body holds exactly `prod(dims)` bytes. `file` names the source in
 * errors.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4)
    throw new DatasetError(`${file}: too short for an IDX header (${bytes.length} bytes)`, {
      file,
    });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = bytes[2]!;
  const rank = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || TYPE_NAMES[type] === undefined || rank === 0) {
    const magic = view.getUint32(0).toString(16).padStart(8, "0");
    throw new DatasetError(`${file}: not an IDX file (magic number 0x${magic})`, { file });
  }
  if (type !== UBYTE) {
    throw new DatasetError(
      `${file}: IDX data type is ${TYPE_NAMES[type]}; only unsigned byte (0x08) is supported`,
      { file },
    );
  }
  const headerSize = 4 + 4 * rank;
  if (bytes.length < headerSize) {
    throw new DatasetError(
      `${file}: IDX header truncated (rank ${rank} needs ${headerSize} bytes, file has ${bytes.length})`,
      { file },
    );
  }
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerSize;
  if (actual !== expected) {
    throw new DatasetError(
      `${file}: IDX body has ${actual} bytes but the header [${dims.join(", ")}] needs ${expected} (${actual < expected ? "truncated" : "trailing data"})`,
      { file },
    );
  }
  return { dims, data: bytes.subarray(headerSize) };
}

/** Serialises unsigned bytes as an IDX buffer (the inverse of {@link parseIdx}). */
export function encodeIdx(data: Uint8Array, dims: readonly number[]): Uint8Array {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    throw new DatasetError(`encodeIdx: ${data.length} bytes do not fill dims [${dims.join(", ")}]`);
  }
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (UBYTE << 8) | dims.length);
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d);
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Reads an IDX file, gunzipping it when it starts with the gzip magic bytes. */
export async function readIdxFile(file: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DatasetError(`${file}: cannot read IDX file (${messageOf(error)})`, {
      file,
      cause: error,
    });
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (error) {
      throw new DatasetError(`${file}: corrupt gzip data (${messageOf(error)})`, {
        file,
        cause: error,
      });
    }
  }
  return parseIdx(bytes, file);
}

export interface LoadIdxOptions {
  readonly normalize?: NormalizeOptions;
  readonly classNames?: readonly string[];
  /** Defaults to `classNames.length`, else the largest label + 1. */
  readonly numClasses?: number;
}

/**
 * Loads an images/labels pair of IDX files (MNIST, Fashion-MNIST; gzipped or raw) as an
 * {@link ImageDataset}. Images may be `[N, H, W]` (one channel) or `[N, H, W, C]`.
 * @example
 * const train = await loadIdx({
 *   images: join(FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz"),
 *   labels: join(FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz"),
 * }, { classNames: FASHION_MNIST_CLASSES });
 */
export async function loadIdx(
  files: { readonly images: string; readonly labels: string },
  options: LoadIdxOptions = {},
): Promise<ImageDataset> {
  const [images, labels] = await Promise.all([
    readIdxFile(files.images),
    readIdxFile(files.labels),
  ]);
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new DatasetError(
      `${files.images}: images must be [N, H, W] or [N, H, W, C], got [${images.dims.join(", ")}]`,
      { file: files.images },
    );
  }
  if (labels.dims.length !== 1) {
    throw new DatasetError(
      `${files.labels}: labels must be one-dimensional [N], got [${labels.dims.join(", ")}]`,
      { file: files.labels },
    );
  }
  const [count, h, w, c = 1] = images.dims as [number, number, number, number?];
  if (labels.dims[0] !== count) {
    throw new DatasetError(
      `${files.labels}: holds ${labels.dims[0]} labels but ${files.images} holds ${count} images`,
      { file: files.labels },
    );
  }
  const pixels = new Float32Array(images.data.length);
  normalizeInto(images.data, c, affineOf(options.normalize, c), pixels);
  const labelArray = Int32Array.from(labels.data);
  const numClasses = checkLabels(
    labelArray,
    options.numClasses ?? options.classNames?.length,
    files.labels,
    files.labels,
  );
  return makeDataset(pixels, labelArray, [h, w, c], numClasses, options.classNames);
}
