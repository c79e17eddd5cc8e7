import type { Dirent } from "node:fs";
import { readFile as readFileCallback } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { messageOf } from "@tipi/core";
import { loadSharp, pngjs } from "../lazy/modules.ts";
import { type ImageDataset, makeDataset } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import { affineOf, type NormalizeOptions, normalizeInto } from "./normalize.ts";

export interface ImageFolderOptions {
  /** Resize every image to `[h, w]` (stretching). Without it, all images must share one size. */
  readonly size?: readonly [h: number, w: number];
  /** 1 = greyscale (luma), 3 = RGB (default). Alpha is dropped. */
  readonly channels?: 1 | 3;
  /** `"throw"` (default): the first bad image fails the load. `"skip"`: leave it out and report it in `skipped`. */
  readonly onError?: "throw" | "skip";
  readonly normalize?: NormalizeOptions;
  /** Images decoded at once (default 8). */
  readonly concurrency?: number;
  /** `"auto"` (default): pngjs for tiny PNGs at their own size, sharp otherwise. `"sharp"`: sharp always. */
  readonly decoder?: "auto" | "sharp";
  /** Called after each image is decoded (or fails), e.g. to drive a progress bar. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** An image left out in `onError: "skip"` mode, and why. */
export interface SkippedFile {
  readonly file: string;
  readonly reason: string;
}

/** An {@link ImageDataset} read from a folder, with where each item came from. */
export interface ImageFolderDataset extends ImageDataset {
  readonly classNames: readonly string[];
  /** The source file of each item, in item order. */
  readonly files: readonly string[];
  readonly skipped: readonly SkippedFile[];
}

// The callback API costs half the CPU of fs/promises' FileHandle-based readFile for small files.
const readFile = promisify(readFileCallback);
const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;
/** pngjs beats sharp on tiny PNGs (~12.5k vs ~2.5k img/s at 28×28, FACTS.md); sharp wins on large ones. */
const PNGJS_MAX_PIXELS = 64 * 64;

interface Decoded {
  readonly height: number;
  readonly width: number;
  readonly pixels: Uint8Array; // HWC, `channels` per pixel
}

/**
 * Loads an image-classification folder: one sub-folder per class (sorted names become
 * labels 0, 1, …), PNG/JPEG files inside (searched recursively). Tiny PNGs are decoded
 * with pngjs, everything else (JPEG, resizing) with sharp, `concurrency` at a time. A
 * corrupt image fails with a {@link DatasetError} naming the file, or with
 * `onError: "skip"` is left out and listed in `skipped`.
 * @example
 * const ds = await loadImageFolder("data/flowers", { size: [64, 64], onError: "skip" });
 * console.log(ds.classNames, ds.length, ds.skipped);
 */
export async function loadImageFolder(
  dir: string,
  options: ImageFolderOptions = {},
): Promise<ImageFolderDataset> {
  const channels = options.channels ?? 3;
  const skip = options.onError === "skip";
  const { classNames, files, labels } = await listImages(dir);
  if (files.length === 0)
    throw new DatasetError(`${dir}: no PNG or JPEG images found in its class folders`, {
      file: dir,
    });

  const decoded = new Array<Decoded | undefined>(files.length);
  const failures = new Map<number, string>();
  let nextIndex = 0;
  let done = 0;
  const worker = async () => {
    while (nextIndex < files.length && (skip || failures.size === 0)) {
      const index = nextIndex++;
      try {
        decoded[index] = await decodeFile(files[index]!, options.size, channels, options.decoder);
      } catch (error) {
        failures.set(index, messageOf(error));
      }
      options.onProgress?.(++done, files.length);
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? 8);
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));

  let firstFailure = Number.POSITIVE_INFINITY;
  for (const index of failures.keys()) firstFailure = Math.min(firstFailure, index);
  if (!skip && failures.size > 0) {
    const file = files[firstFailure]!;
    throw new DatasetError(`${file}: ${failures.get(firstFailure)}`, { file });
  }

  const reference = decoded.findIndex((d) => d !== undefined);
  if (reference < 0) {
    throw new DatasetError(
      `${dir}: none of its ${files.length} images could be decoded (first: ${files[firstFailure]}: ${failures.get(firstFailure)})`,
      { file: dir },
    );
  }
  const { height, width } = decoded[reference]!;
  const kept: number[] = [];
  const skipped: SkippedFile[] = [];
  for (let i = 0; i < files.length; i++) {
    const image = decoded[i];
    let reason = failures.get(i);
    if (image && (image.height !== height || image.width !== width)) {
      reason = `image is ${image.width}×${image.height} but ${files[reference]} is ${width}×${height}; pass size: [h, w] to resize`;
      if (!skip) throw new DatasetError(`${files[i]}: ${reason}`, { file: files[i]! });
    }
    if (reason === undefined) kept.push(i);
    else skipped.push({ file: files[i]!, reason });
  }

  const itemSize = height * width * channels;
  const images = new Float32Array(kept.length * itemSize);
  const affine = affineOf(options.normalize, channels);
  for (const [k, i] of kept.entries()) {
    normalizeInto(decoded[i]!.pixels, channels, affine, images, k * itemSize);
  }
  const keptLabels = Int32Array.from(kept, (i) => labels[i]!);
  const dataset = makeDataset(
    images,
    keptLabels,
    [height, width, channels],
    classNames.length,
    classNames,
  );
  return { ...dataset, classNames, files: kept.map((i) => files[i]!), skipped };
}

async function listImages(
  dir: string,
): Promise<{ classNames: string[]; files: string[]; labels: number[] }> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new DatasetError(`${dir}: cannot read image folder (${messageOf(error)})`, {
      file: dir,
      cause: error,
    });
  }
  const classNames: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    if (e.isDirectory() || (e.isSymbolicLink() && (await isDirectory(join(dir, e.name))))) {
      classNames.push(e.name);
    }
  }
  classNames.sort();
  if (classNames.length === 0) {
    throw new DatasetError(
      `${dir}: has no class sub-folders (expected ${dir}/<class>/<image>.png)`,
      { file: dir },
    );
  }
  const files: string[] = [];
  const labels: number[] = [];
  for (const [label, name] of classNames.entries()) {
    const classDir = join(dir, name);
    let classEntries: Dirent[];
    try {
      classEntries = await readdir(classDir, { recursive: true, withFileTypes: true });
    } catch (error) {
      throw new DatasetError(`${classDir}: cannot read class folder (${messageOf(error)})`, {
        file: classDir,
        cause: error,
      });
    }
    const found = classEntries
      .filter(
        (e) =>
          (e.isFile() || e.isSymbolicLink()) &&
          IMAGE_EXTENSIONS.test(e.name) &&
          !e.name.startsWith("."),
      )
      .map((e) => join(e.parentPath, e.name))
      .sort(); // all share the `classDir/` prefix, so this orders by relative path
    for (const file of found) {
      files.push(file);
      labels.push(label);
    }
  }
  return { classNames, files, labels };
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Reads and decodes one image; throws an Error whose message is the reason, worded for users. */
async function decodeFile(
  file: string,
  size: readonly [number, number] | undefined,
  channels: 1 | 3,
  decoder: "auto" | "sharp" = "auto",
): Promise<Decoded> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new Error(`cannot read file (${messageOf(error)})`);
  }
  try {
    return await decodeBytes(bytes, size, channels, decoder);
  } catch (error) {
    if (error instanceof NotAnImage) throw error;
    throw new Error(`cannot decode image (${messageOf(error)})`);
  }
}

class NotAnImage extends Error {}

async function decodeBytes(
  bytes: Buffer,
  size: readonly [number, number] | undefined,
  channels: 1 | 3,
  decoder: "auto" | "sharp",
): Promise<Decoded> {
  if (decoder === "auto" && isPng(bytes) && bytes.length >= 24) {
    const width = bytes.readUInt32BE(16);
    const height = bytes.readUInt32BE(20);
    const sameSize = size === undefined || (size[0] === height && size[1] === width);
    if (sameSize && width * height <= PNGJS_MAX_PIXELS) {
      const png = pngjs().PNG.sync.read(bytes);
      return { height: png.height, width: png.width, pixels: toChannels(png.data, 4, channels) };
    }
  } else if (!isJpeg(bytes) && !isPng(bytes)) {
    throw new NotAnImage("not a PNG or JPEG file");
  }
  const sharp = await loadSharp();
  let pipeline = sharp(bytes, { failOn: "error" });
  if (size) pipeline = pipeline.resize(size[1], size[0], { fit: "fill" });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return {
    height: info.height,
    width: info.width,
    pixels: toChannels(data, info.channels, channels),
  };
}

function isPng(bytes: Uint8Array): boolean {
  return bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Converts interleaved pixels with `from` channels (grey, grey+alpha, RGB, RGBA) to `to`. */
function toChannels(data: Uint8Array, from: number, to: 1 | 3): Uint8Array {
  const count = data.length / from;
  const out = new Uint8Array(count * to);
  const grey = from < 3;
  for (let p = 0, i = 0; p < count; p++, i += from) {
    if (to === 1) {
      out[p] = grey
        ? data[i]!
        : Math.round(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
    } else if (grey) {
      out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = data[i]!;
    } else {
      out[3 * p] = data[i]!;
      out[3 * p + 1] = data[i + 1]!;
      out[3 * p + 2] = data[i + 2]!;
    }
  }
  return out;
}
