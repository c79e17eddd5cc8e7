import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TipiEvent } from "@tipi/core";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../src/backend/resolve-backend.ts";
import { ProcessReplicaPool } from "../src/train/replicas/process-replica-pool.ts";
import { ReplicaPool } from "../src/train/replicas/replica-pool.ts";
import { startReplicas } from "../src/train/replicas/replica-training.ts";
import type { Replicas } from "../src/train/replicas/replicas.ts";
import { resolveWorkers } from "../src/train/replicas/workers.ts";
import type { TrainOptions } from "../src/train/train-loop.ts";
import { trainOn } from "../src/train/training-run.ts";
import { REPO_ROOT } from "./real-tfjs-node-gpu.ts";
import { blobs, flatWeights, tinyMlp } from "./train-helpers.ts";

// One process per GPU, with the cpu backend standing in for tfjs-node-gpu in the replica
// processes (no GPU here): each gets its own CUDA_VISIBLE_DEVICES, and computes its shard with
// the same shardGradients as a worker thread, so both kinds of pool give the same bits.

beforeAll(async () => {
  await resolveBackend({ backend: "cpu" });
});

const stand = (count: number) => ({
  count,
  outputKind: "probabilities" as const,
  devices: Array.from({ length: count - 1 }, (_, i) => String(i + 1)),
  backend: "cpu" as const,
});

function bytes(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

describe("ProcessReplicaPool (cpu stand-ins for GPUs)", () => {
  it("gives each replica process its own CUDA_VISIBLE_DEVICES, and the worker-thread pool's bits", async () => {
    const data = blobs(50, 6, 3);
    const model = tinyMlp(6, 3);
    const processes = await ProcessReplicaPool.start({ model, ...stand(3) });
    const threads = await ReplicaPool.start({ model, count: 3, outputKind: "probabilities" });
    try {
      expect(processes.processes.map((p) => p.ready.cudaVisibleDevices)).toEqual(["1", "2"]);
      expect(processes.processes.map((p) => p.device)).toEqual(["1", "2"]);
      const pids = processes.processes.map((p) => p.ready.pid);
      expect(new Set([...pids, process.pid]).size).toBe(3);
      expect(processes.processes.every((p) => p.ready.backend === "cpu")).toBe(true);
      const a = await processes.step(data.images, data.labels, [6]);
      const gradsA = new Float32Array(a.grads);
      const b = await threads.step(data.images, data.labels, [6]);
      expect(a.loss).toBe(b.loss);
      expect(a.correct).toBe(b.correct);
      expect(bytes(gradsA).equals(bytes(b.grads))).toBe(true);
      expect(processes.timings.steps).toBe(1);
    } finally {
      await Promise.all([processes.close(), threads.close()]);
    }
    for (const pid of processes.processes.map((p) => p.pid)) expect(alive(pid)).toBe(false);
  });

  it("trains to the same weights as worker threads for the same N", async () => {
    const data = blobs(96, 6, 3);
    const trainWith = async (start: (model: ReturnType<typeof tinyMlp>) => Promise<Replicas>) => {
      const model = tinyMlp(6, 3);
      const pool = await start(model);
      try {
        const options: TrainOptions = { model, train: data, epochs: 2, batchSize: 32, seed: 3 };
        const result = await trainOn(options, pool, undefined);
        expect(result.workers).toBe(2);
        return flatWeights(model);
      } finally {
        await pool.close();
      }
    };
    const viaProcesses = await trainWith((model) =>
      ProcessReplicaPool.start({ model, ...stand(2) }),
    );
    const viaThreads = await trainWith((model) =>
      ReplicaPool.start({ model, count: 2, outputKind: "probabilities" }),
    );
    expect(bytes(viaProcesses).equals(bytes(viaThreads))).toBe(true);
  });

  it("a killed replica process fails the run with a message naming it", async () => {
    const data = blobs(96, 6, 3);
    const model = tinyMlp(6, 3);
    const pool = await ProcessReplicaPool.start({ model, ...stand(2) });
    const [child] = pool.processes;
    let killed = false;
    const emit = (event: TipiEvent) => {
      if (event.type === "progress" && event.label === "Batch" && event.current >= 1 && !killed) {
        killed = true;
        process.kill(child!.pid, "SIGKILL");
      }
    };
    const options: TrainOptions = { model, train: data, epochs: 3, batchSize: 16, emit };
    try {
      await expect(trainOn(options, pool, undefined)).rejects.toThrow(
        new RegExp(
          `^replica 1 \\(process ${child!.pid}, CUDA_VISIBLE_DEVICES=1\\): the process was killed by SIGKILL`,
        ),
      );
      expect(killed).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it("a replica whose backend fails to load: the replica, its GPU and why; auto falls back to 1", async () => {
    const model = tinyMlp(6, 3);
    const empty = mkdtempSync(join(tmpdir(), "tipi-no-tfjs-node-gpu-"));
    const gpus = { devices: ["GPU-aaaa", "GPU-bbbb"], resolvePaths: [empty] };
    const start = (workers: "auto" | number, events: TipiEvent[]) =>
      startReplicas({
        workers,
        model,
        batchSize: 64,
        outputKind: "probabilities",
        emit: (event) => events.push(event),
        gpus,
      });
    const events: TipiEvent[] = [];
    expect(await start("auto", events)).toBeUndefined();
    const warning = events.find((e) => e.type === "log" && e.level === "warn");
    expect(warning).toMatchObject({
      message: expect.stringMatching(
        /^training on 1 replica: the replica processes did not start \(replica 1 \(process \d+, CUDA_VISIBLE_DEVICES=GPU-bbbb\): backend "tensorflow-gpu" is unavailable: @tensorflow\/tfjs-node-gpu is not installed\)$/,
      ),
    });
    await expect(start(2, [])).rejects.toThrow(
      /replica 1 \(process \d+, CUDA_VISIBLE_DEVICES=GPU-bbbb\): backend "tensorflow-gpu" is unavailable/,
    );
    await expect(start(3, [])).rejects.toThrow(
      'workers = 3, but this run sees 2 GPUs (one replica process a GPU): set workers to 2 or less, or "auto", or make more GPUs visible (CUDA_VISIBLE_DEVICES)',
    );
  });

  it("resolveWorkers on a GPU run: auto = one a GPU (capped by the batch), n as asked", async () => {
    expect(resolveWorkers("auto", { batchSize: 64, backend: "tensorflow", gpus: 4 })).toBe(4);
    expect(resolveWorkers("auto", { batchSize: 32, backend: "tensorflow", gpus: 4 })).toBe(2);
    expect(resolveWorkers("auto", { batchSize: 64, backend: "tensorflow", gpus: 1 })).toBe(1);
    expect(resolveWorkers(2, { batchSize: 64, backend: "tensorflow", gpus: 4 })).toBe(2);
    expect(resolveWorkers(2, { batchSize: 64, backend: "tensorflow" })).toBe(1);
  });
});

describe("replica processes and signals", () => {
  it("survive a Ctrl-C or SIGTERM to the process group (the parent ends them), and none outlives a SIGKILLed parent", async () => {
    // Ctrl-C: SIGINT to the whole group; the parent takes one more step on every replica.
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const run = startParent();
      const pids = await run.pids;
      process.kill(-run.child.pid!, signal);
      expect(await run.exit).toBe(0);
      expect(run.stdout()).toMatch(new RegExp(`^STEP AFTER ${signal} \\d`, "m"));
      await expectGone(pids);
    }

    // SIGKILL: the parent cannot end them; they see the channel close and exit.
    const second = startParent();
    const orphans = await second.pids;
    expect(orphans.every(alive)).toBe(true);
    second.child.kill("SIGKILL");
    await second.exit;
    await expectGone(orphans);
  });
});

function startParent(): {
  child: ChildProcess;
  pids: Promise<number[]>;
  exit: Promise<number | null>;
  stdout: () => string;
} {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "packages/tfjs/test/fixtures/replicas-process/parent.ts")],
    { cwd: REPO_ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const pids = new Promise<number[]>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("PIDS "));
      if (line) resolve(JSON.parse(line.slice(5)) as number[]);
    });
    void exit.then((code) => reject(new Error(`parent exited (${code}) early:\n${out}${err}`)));
  });
  return { child, pids, exit, stdout: () => out };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function expectGone(pids: readonly number[]): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(pids.filter(alive)).toEqual([]);
}
