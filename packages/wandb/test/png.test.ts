import { crc32, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { confusionMatrixImage, encodePng } from "../src/index.ts";

/** A minimal PNG reader for 8-bit, unfiltered images: checks every chunk's CRC. */
function decode(png: Buffer) {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  let header: Buffer | undefined;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const typed = png.subarray(offset + 4, offset + 8 + length);
    expect(png.readUInt32BE(offset + 8 + length)).toBe(crc32(typed) >>> 0);
    const type = typed.subarray(0, 4).toString("ascii");
    if (type === "IHDR") header = typed.subarray(4);
    if (type === "IDAT") idat.push(typed.subarray(4));
    offset += 12 + length;
  }
  const width = header?.readUInt32BE(0) ?? 0;
  const height = header?.readUInt32BE(4) ?? 0;
  const channels = ({ 0: 1, 2: 3, 6: 4 } as Record<number, number>)[header?.[9] ?? -1] ?? 0;
  const raw = inflateSync(Buffer.concat(idat));
  const pixels: number[] = [];
  for (let y = 0; y < height; y++) {
    const row = raw.subarray(y * (width * channels + 1), (y + 1) * (width * channels + 1));
    expect(row[0]).toBe(0);
    pixels.push(...row.subarray(1));
  }
  return { width, height, channels, pixels };
}

describe("encodePng", () => {
  it("encodes grey, RGB and RGBA pixels, floats scaled from 0..1 and clamped", () => {
    expect(
      decode(
        encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array([0, 64, 128, 255]) }),
      ),
    ).toEqual({
      width: 2,
      height: 2,
      channels: 1,
      pixels: [0, 64, 128, 255],
    });
    const rgb = decode(
      encodePng({
        width: 2,
        height: 1,
        channels: 3,
        data: new Float32Array([1, 0, -1, 0.5, 2, 0]),
      }),
    );
    expect(rgb).toMatchObject({ channels: 3, pixels: [255, 0, 0, 128, 255, 0] });
    expect(
      decode(encodePng({ width: 1, height: 1, channels: 4, data: new Uint8Array([1, 2, 3, 4]) }))
        .pixels,
    ).toEqual([1, 2, 3, 4]);
  });

  it("rejects data that does not match the size", () => {
    expect(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(4) })).toThrow(
      /expected 12 values/,
    );
  });

  it("draws a confusion matrix as a row-normalised heat map", () => {
    const { width, pixels } = decode(
      encodePng(
        confusionMatrixImage(
          [
            [3, 1],
            [0, 4],
          ],
          2,
        ),
      ),
    );
    expect(width).toBe(4);
    const at = (row: number, col: number) => pixels[row * 2 * width + col * 2];
    expect([at(0, 0), at(0, 1), at(1, 0), at(1, 1)]).toEqual([191, 64, 0, 255]);
  });
});
