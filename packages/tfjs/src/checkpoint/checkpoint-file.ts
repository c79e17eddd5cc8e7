import { crc32 } from "node:zlib";

/** A named array of numbers with its shape: one tensor of a checkpoint, backend-free. */
export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: "float32" | "int32";
  readonly data: Float32Array | Int32Array;
}

/** JSON-safe values kept beside the tensors (positions, RNG state, metrics, early stopping). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** Everything a checkpoint holds. */
export interface CheckpointData {
  /** The global step (number of optimizer updates) the checkpoint was taken after. */
  readonly step: number;
  readonly tensors: readonly NamedArray[];
  readonly state: JsonValue;
}

const MAGIC = Buffer.from("TIPICKP2", "ascii");
/** Magic, header length, header CRC. */
const PREFIX = 16;

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  offset: number;
  length: number;
}

interface Header {
  version: 2;
  step: number;
  state: JsonValue;
  tensors: TensorEntry[];
  crc: number;
}

/**
 * Encodes a checkpoint as `MAGIC | u32 header length | u32 CRC32 of the header | JSON header |
 * raw little-endian data`; the header holds the data's CRC32, so both halves are checked.
 */
export function encodeCheckpoint(data: CheckpointData): Uint8Array[] {
  const bodies: Uint8Array[] = [];
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const t of data.tensors) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    entries.push({
      name: t.name,
      shape: [...t.shape],
      dtype: t.dtype,
      offset,
      length: bytes.length,
    });
    bodies.push(bytes);
    offset += bytes.length;
  }
  let crc = 0;
  for (const body of bodies) crc = crc32(body, crc);
  const header: Header = { version: 2, step: data.step, state: data.state, tensors: entries, crc };
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(headerBytes.length, 0);
  prefix.writeUInt32LE(crc32(headerBytes), 4);
  return [MAGIC, prefix, headerBytes, ...bodies];
}

/** Decodes `encodeCheckpoint`'s bytes; throws on a truncated or corrupt file. */
export function decodeCheckpoint(bytes: Uint8Array): CheckpointData {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PREFIX || !buf.subarray(0, 8).equals(MAGIC)) {
    throw new Error("not a tipi checkpoint (bad magic)");
  }
  const headerLength = buf.readUInt32LE(8);
  const bodyStart = PREFIX + headerLength;
  if (bodyStart > buf.length) throw new Error("truncated checkpoint header");
  const headerBytes = buf.subarray(PREFIX, bodyStart);
  if (crc32(headerBytes) !== buf.readUInt32LE(12)) {
    throw new Error("checkpoint header checksum mismatch (the training state was changed)");
  }
  const header = JSON.parse(headerBytes.toString("utf8")) as Header;
  const body = buf.subarray(bodyStart);
  const expected = header.tensors.reduce((n, t) => n + t.length, 0);
  if (body.length !== expected) {
    throw new Error(`truncated checkpoint: ${body.length} of ${expected} data bytes`);
  }
  if (crc32(body) !== header.crc) throw new Error("checkpoint checksum mismatch");
  const tensors = header.tensors.map((t): NamedArray => {
    // Copy into a fresh, aligned buffer: typed arrays need 4-byte alignment.
    const copy = new Uint8Array(t.length);
    copy.set(body.subarray(t.offset, t.offset + t.length));
    const data = t.dtype === "int32" ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer);
    return { name: t.name, shape: t.shape, dtype: t.dtype, data };
  });
  return { step: header.step, state: header.state, tensors };
}
