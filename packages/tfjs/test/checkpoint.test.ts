import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeCheckpoint, encodeCheckpoint } from "../src/checkpoint/checkpoint-file.ts";
import { CheckpointStore } from "../src/checkpoint/checkpoint-store.ts";

const sample = (step: number) => ({
  step,
  state: { epoch: 1, rng: [1, 2, 3, 4], nested: { ok: true } },
  tensors: [
    {
      name: "a",
      shape: [2, 2],
      dtype: "float32" as const,
      data: new Float32Array([1.5, -2, 3e-8, Math.PI]),
    },
    { name: "b", shape: [], dtype: "int32" as const, data: new Int32Array([step]) },
  ],
});

const bytes = (chunks: Uint8Array[]) => Buffer.concat(chunks.map((c) => Buffer.from(c)));

describe("checkpoint file", () => {
  it("round-trips tensors bit for bit and the JSON state", () => {
    const back = decodeCheckpoint(bytes(encodeCheckpoint(sample(7))));
    expect(back.step).toBe(7);
    expect(back.state).toEqual(sample(7).state);
    expect(back.tensors[0]!.data).toEqual(new Float32Array([1.5, -2, 3e-8, Math.PI]));
    expect(back.tensors[1]!.data).toBeInstanceOf(Int32Array);
  });

  it("rejects truncated and corrupted files", () => {
    const full = bytes(encodeCheckpoint(sample(1)));
    expect(() => decodeCheckpoint(full.subarray(0, full.length - 3))).toThrow(/truncated/);
    const flipped = Buffer.from(full);
    flipped[flipped.length - 1]! ^= 0xff;
    expect(() => decodeCheckpoint(flipped)).toThrow(/checksum/);
    expect(() => decodeCheckpoint(Buffer.from("hello world!"))).toThrow(/magic/);
  });
});

describe("CheckpointStore", () => {
  it("keeps the newest K, leaves no temp files, and falls back past a damaged newest file", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "tipi-ckpt-")), "checkpoints");
    const store = new CheckpointStore(dir, { keep: 2 });
    for (const step of [5, 10, 15]) store.save(sample(step));
    expect(readdirSync(dir).sort()).toEqual(["step-000000000010.ckpt", "step-000000000015.ckpt"]);
    expect(store.latest()?.step).toBe(15);
    const newest = join(dir, "step-000000000015.ckpt");
    writeFileSync(newest, readFileSync(newest).subarray(0, 40));
    expect(store.latest()?.step).toBe(10);
  });

  it("has no checkpoint in a missing directory", () => {
    expect(new CheckpointStore(join(tmpdir(), "tipi-none-xyz")).latest()).toBeUndefined();
  });
});
