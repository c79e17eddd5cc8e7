import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DatasetError,
  loadFashionMnist,
  loadImageFolder,
  saveImageFolder,
} from "../src/data/index.ts";

let root: string;

/** A w×h RGB PNG whose pixel (x, y) is (x*10, y*10, seed): lossless, so values are exact. */
function png(w: number, h: number, seed: number): Buffer {
  const image = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x);
      image.data[i] = (x * 10) % 256;
      image.data[i + 1] = (y * 10) % 256;
      image.data[i + 2] = seed;
      image.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(image);
}

async function jpeg(w: number, h: number, grey: number): Promise<Buffer> {
  return sharp({
    create: { width: w, height: h, channels: 3, background: { r: grey, g: grey, b: grey } },
  })
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** Writes `{ class: { file: bytes } }` under a fresh folder. */
async function folder(name: string, tree: Record<string, Record<string, Buffer>>): Promise<string> {
  const dir = join(root, name);
  for (const [cls, files] of Object.entries(tree)) {
    await mkdir(join(dir, cls), { recursive: true });
    for (const [file, bytes] of Object.entries(files)) await writeFile(join(dir, cls, file), bytes);
  }
  return dir;
}

let good: Record<string, Record<string, Buffer>>;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tipi-folder-"));
  good = {
    cat: { "a.png": png(8, 8, 1), "b.jpg": await jpeg(8, 8, 200) },
    dog: { "c.png": png(8, 8, 2), "notes.txt": Buffer.from("ignored") },
  };
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("loadImageFolder", () => {
  it("labels sub-folders in sorted order and decodes PNG and JPEG", async () => {
    const dir = await folder("good", good);
    const ds = await loadImageFolder(dir);
    expect(ds.classNames).toEqual(["cat", "dog"]);
    expect(ds.files.map((f) => f.slice(dir.length + 1))).toEqual([
      "cat/a.png",
      "cat/b.jpg",
      "dog/c.png",
    ]);
    expect([...ds.labels]).toEqual([0, 0, 1]);
    expect(ds.shape).toEqual([8, 8, 3]);
    expect(ds.skipped).toEqual([]);
    const px = (item: number, y: number, x: number, c: number) =>
      ds.images[item * 192 + (y * 8 + x) * 3 + c]!;
    expect(
      [px(0, 3, 5, 0), px(0, 3, 5, 1), px(0, 3, 5, 2)].map((v) => Math.round(v * 255)),
    ).toEqual([50, 30, 1]);
    expect(Math.abs(px(1, 4, 4, 0) * 255 - 200)).toBeLessThan(3); // JPEG is lossy
    expect(Math.round(px(2, 7, 7, 2) * 255)).toBe(2);
  });

  it("converts to one channel with luma weights", async () => {
    const ds = await loadImageFolder(await folder("grey", good), { channels: 1 });
    expect(ds.shape).toEqual([8, 8, 1]);
    const expected = Math.round(0.299 * 50 + 0.587 * 30 + 0.114 * 1);
    expect(Math.round(ds.images[3 * 8 + 5]! * 255)).toBe(expected);
  });

  it("resizes to `size`, and large PNGs decode (through sharp) to the same pixels", async () => {
    const dir = await folder("sizes", {
      a: { "big.png": png(100, 80, 9) },
      b: { "small.png": png(8, 8, 3) },
    });
    const resized = await loadImageFolder(dir, { size: [16, 20] });
    expect(resized.shape).toEqual([16, 20, 3]);
    expect(resized.length).toBe(2);
    const big = await loadImageFolder(await folder("big", { a: { "big.png": png(100, 80, 9) } }));
    const at = (y: number, x: number, c: number) =>
      Math.round(big.images[(y * 100 + x) * 3 + c]! * 255);
    expect([at(70, 20, 0), at(70, 20, 1), at(70, 20, 2)]).toEqual([200, 700 % 256, 9]);
  });

  it("a corrupt image fails with an error naming the file, without a stack trace", async () => {
    const dir = await folder("corrupt", {
      ...good,
      dog: { "c.png": png(8, 8, 2), "broken.png": png(8, 8, 3).subarray(0, 40) },
    });
    const error = await loadImageFolder(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatasetError);
    const file = join(dir, "dog", "broken.png");
    expect((error as DatasetError).file).toBe(file);
    expect((error as DatasetError).message).toMatch(
      new RegExp(`^${file}: cannot decode image \\(.+\\)$`),
    );
  });

  it("skip mode leaves bad files out and reports each one", async () => {
    const dir = await folder("skip", {
      ...good,
      dog: {
        "c.png": png(8, 8, 2),
        "broken.png": png(8, 8, 3).subarray(0, 40),
        "text.jpg": Buffer.from("this is not a jpeg"),
        "wrong-size.png": png(9, 8, 3),
      },
    });
    const progress: string[] = [];
    const ds = await loadImageFolder(dir, {
      onError: "skip",
      concurrency: 2,
      onProgress: (done, total) => progress.push(`${done}/${total}`),
    });
    expect(progress).toEqual(["1/6", "2/6", "3/6", "4/6", "5/6", "6/6"]);
    expect(ds.length).toBe(3);
    expect([...ds.labels]).toEqual([0, 0, 1]);
    expect(ds.skipped.map((s) => s.file.slice(dir.length + 1))).toEqual([
      "dog/broken.png",
      "dog/text.jpg",
      "dog/wrong-size.png",
    ]);
    expect(ds.skipped[1]!.reason).toBe("not a PNG or JPEG file");
    expect(ds.skipped[2]!.reason).toMatch(/image is 9×8 but .*a\.png is 8×8; pass size/);
    for (const s of ds.skipped) expect(s.reason).not.toMatch(/\n\s+at /);
  });

  it("follows symlinked class folders, and reports an unreadable file", async () => {
    const dir = await folder("links", { cat: { "a.png": png(8, 8, 1) } });
    await symlink(
      await folder("elsewhere", { x: { "b.png": png(8, 8, 2) } }).then((d) => join(d, "x")),
      join(dir, "dog"),
    );
    await symlink(join(root, "missing.png"), join(dir, "cat", "gone.png"));
    const ds = await loadImageFolder(dir, { onError: "skip" });
    expect(ds.classNames).toEqual(["cat", "dog"]);
    expect([...ds.labels]).toEqual([0, 1]);
    expect(ds.skipped).toEqual([
      {
        file: join(dir, "cat", "gone.png"),
        reason: expect.stringMatching(/^cannot read file \(ENOENT/),
      },
    ]);
    await expect(loadImageFolder(dir)).rejects.toThrow(/gone\.png: cannot read file \(ENOENT/);
  });

  it("a size mismatch without `size` fails naming the file", async () => {
    const dir = await folder("mismatch", { a: { "1.png": png(8, 8, 1), "2.png": png(6, 8, 1) } });
    await expect(loadImageFolder(dir)).rejects.toThrow(/2\.png: image is 6×8 but .*1\.png is 8×8/);
  });

  it("a missing or empty folder gives a clear error", async () => {
    await expect(loadImageFolder(join(root, "nope"))).rejects.toThrow(
      /nope: cannot read image folder/,
    );
    await mkdir(join(root, "empty", "cls"), { recursive: true });
    await expect(loadImageFolder(join(root, "empty"))).rejects.toThrow(/no PNG or JPEG images/);
  });

  it("pngjs and sharp decode PNGs to identical pixels", async () => {
    const dir = await folder("decoders", good);
    const auto = await loadImageFolder(dir);
    const viaSharp = await loadImageFolder(dir, { decoder: "sharp" });
    expect(viaSharp.images).toEqual(auto.images);
  });
});

describe("saveImageFolder", () => {
  it("round-trips Fashion-MNIST items through PNG files exactly", async () => {
    const test = await loadFashionMnist("test");
    const dir = join(root, "roundtrip");
    const files = await saveImageFolder(test, dir, { limit: 40 });
    expect(files[0]).toBe(join(dir, "Ankle boot", "00.png"));
    const back = await loadImageFolder(dir, { channels: 1 });
    // Folders sort by class name, so compare as sets of (label name, pixels).
    const key = (
      ds: { images: Float32Array; labels: Int32Array },
      names: readonly string[],
      i: number,
    ) =>
      `${names[ds.labels[i]!]}:${Array.from(ds.images.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255))}`;
    const folderNames = test.classNames!.map((n) => n.replaceAll("/", "-"));
    const original = Array.from({ length: 40 }, (_, i) => key(test, folderNames, i)).sort();
    const loaded = Array.from({ length: back.length }, (_, i) =>
      key(back, back.classNames, i),
    ).sort();
    expect(loaded).toEqual(original);
  });
});
