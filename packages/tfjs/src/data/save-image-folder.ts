import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadSharp, pngjs } from "../lazy/modules.ts";
import type { ImageDataset } from "./dataset.ts";

export interface SaveImageFolderOptions {
  /** `"png"` (default, lossless) or `"jpeg"`. */
  readonly format?: "png" | "jpeg";
  /** Save only the first `limit` items. */
  readonly limit?: number;
}

/**
 * Writes a dataset whose pixels are in [0, 1] as an image folder that
 * {@link loadImageFolder} reads back: `dir/<class>/<index>.png`, one sub-folder per
 * class (class names with `/` get `-`). Useful to look at the data, or to turn IDX files
 * into a folder.
 * @example
 * await saveImageFolder(await loadFashionMnist("test"), "/tmp/fashion-png", { limit: 100 });
 */
export async function saveImageFolder(
  ds: ImageDataset,
  dir: string,
  options: SaveImageFolderOptions = {},
): Promise<string[]> {
  const [h, w, c] = ds.shape;
  const names = Array.from({ length: ds.numClasses }, (_, i) =>
    (ds.classNames?.[i] ?? String(i)).replaceAll("/", "-"),
  );
  for (const name of names) await mkdir(join(dir, name), { recursive: true });
  const count = Math.min(ds.length, options.limit ?? ds.length);
  const digits = String(Math.max(count - 1, 0)).length;
  const written: string[] = [];
  for (let i = 0; i < count; i++) {
    const pixels = Uint8Array.from(ds.images.subarray(i * h * w * c, (i + 1) * h * w * c), (v) =>
      Math.round(Math.min(1, Math.max(0, v)) * 255),
    );
    const extension = options.format === "jpeg" ? "jpg" : "png";
    const file = join(
      dir,
      names[ds.labels[i]!]!,
      `${String(i).padStart(digits, "0")}.${extension}`,
    );
    await writeFile(file, await encode(pixels, w, h, c, options.format ?? "png"));
    written.push(file);
  }
  return written;
}

async function encode(pixels: Uint8Array, w: number, h: number, c: number, format: "png" | "jpeg") {
  if (format === "jpeg" || (c !== 1 && c !== 3)) {
    const sharp = await loadSharp();
    const image = sharp(pixels, { raw: { width: w, height: h, channels: c as 1 | 2 | 3 | 4 } });
    return format === "jpeg" ? image.jpeg({ quality: 95 }).toBuffer() : image.png().toBuffer();
  }
  const { PNG } = pngjs();
  const png = new PNG({ width: w, height: h });
  for (let p = 0; p < w * h; p++) {
    for (let k = 0; k < 3; k++) png.data[4 * p + k] = pixels[p * c + (c === 1 ? 0 : k)]!;
    png.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: c === 1 ? 0 : 2 });
}
