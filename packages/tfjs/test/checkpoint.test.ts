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

  it("rejects an edited header, even one that is still valid JSON of the same length", () => {
    const full = bytes(encodeCheckpoint(sample(1)));
    // The training state says epoch 1; make it epoch 7 (same length, valid JSON).
    const text = full.toString("latin1");
    const at = text.indexOf('"epoch":1');
    expect(at).toBeGreaterThan(0);
    const edited = Buffer.from(full);
    edited.write('"epoch":7', at, "latin1");
    expect(
      JSON.parse(edited.subarray(16, 16 + edited.readUInt32LE(8)).toString()).state.epoch,
    ).toBe(7);
    expect(() => decodeCheckpoint(edited)).toThrow(/header checksum/);
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
    const latest = store.latest();
    expect(latest?.step).toBe(10);
    // The damaged file is reported by name, with why.
    expect(latest?.skipped).toEqual([{ path: newest, reason: expect.stringMatching(/truncated/) }]);
  });

  it("refuses to start over when every checkpoint is damaged", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "tipi-ckpt-")), "checkpoints");
    const store = new CheckpointStore(dir);
    const path = store.save(sample(3));
    writeFileSync(path, Buffer.from("TIPICKP2 but not really"));
    expect(() => store.latest()).toThrow(/no readable checkpoint in .*step-000000000003\.ckpt/);
  });

  it("treats an unreadable checkpoint directory as an error, not as no checkpoint", () => {
    const parent = mkdtempSync(join(tmpdir(), "tipi-ckpt-"));
    // A file where the directory should be: readdir fails with ENOTDIR.
    const notADir = join(parent, "checkpoints");
    writeFileSync(notADir, "");
    expect(() => new CheckpointStore(notADir).latest()).toThrow(
      /cannot read the checkpoint directory/,
    );
  });

  it("has no checkpoint in a missing directory", () => {
    expect(new CheckpointStore(join(tmpdir(), "tipi-none-xyz")).latest()).toBeUndefined();
  });
});
