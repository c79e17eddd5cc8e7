import { crc32, deflateSync } from "node:zlib";

/** Raw pixels, row-major, interleaved channels; floats are taken as 0..1 and clamped. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  /** 1 grey, 3 RGB, 4 RGBA. */
  readonly channels: 1 | 3 | 4;
  readonly data: Uint8Array | Uint8ClampedArray | Float32Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOR_TYPE = { 1: 0, 3: 2, 4: 6 } as const;

/** Encodes raw pixels as an 8-bit PNG (no dependency: zlib and the chunk format). */
export function encodePng(image: RawImage): Buffer {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`invalid image size ${width}x${height}`);
  }
  if (data.length !== width * height * channels) {
    throw new Error(
      `expected ${width * height * channels} values for ${width}x${height}x${channels}, got ${data.length}`,
    );
  }
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  const scale = data instanceof Float32Array ? 255 : 1;
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    for (let x = 0; x < stride; x++) {
      const value = Math.round((data[y * stride + x] as number) * scale);
      raw[y * (stride + 1) + 1 + x] = Math.max(0, Math.min(255, value));
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = COLOR_TYPE[channels];
  return Buffer.concat([
    SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/**
 * Renders a confusion matrix (`matrix[actual][predicted]`) as a grey heat map, `cell` pixels
 * per entry, each row normalised by its total (white = all of that class).
 */
export function confusionMatrixImage(matrix: readonly (readonly number[])[], cell = 16): RawImage {
  const n = matrix.length;
  const size = n * cell;
  const data = new Uint8Array(size * size);
  matrix.forEach((row, actual) => {
    const total = row.reduce((sum, v) => sum + v, 0) || 1;
    row.forEach((count, predicted) => {
      const shade = Math.round((255 * count) / total);
      for (let dy = 0; dy < cell; dy++) {
        data.fill(
          shade,
          (actual * cell + dy) * size + predicted * cell,
          (actual * cell + dy) * size + (predicted + 1) * cell,
        );
      }
    });
  });
  return { width: size, height: size, channels: 1, data };
}

function chunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0, 0);
  return Buffer.concat([length, typed, crc]);
}
