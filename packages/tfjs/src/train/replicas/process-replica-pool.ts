import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { BackendName } from "../../backend/backend-names.ts";
import type { OutputKind } from "../losses.ts";
import type {
  ProcessReplicaInit,
  ProcessReplicaMessage,
  ProcessReplicaReady,
  ProcessShardRequest,
} from "./process-protocol.ts";
import {
  addShard,
  gradientMapOf,
  type ReplicaStep,
  type Replicas,
  type ReplicaTimings,
  sizeOfAll,
} from "./replicas.ts";
import { hostShardGradients, shardBounds } from "./shard-step.ts";

/** Running from the `.ts` sources (tests, `tsx`) rather than the built `dist/`. */
const SOURCES = import.meta.url.endsWith(".ts");
const ENTRY = fileURLToPath(new URL("./process-replica-entry.mjs", import.meta.url));
const MAIN = new URL(`./process-replica-main${SOURCES ? ".ts" : ".js"}`, import.meta.url).href;
/** How long {@link ProcessReplicaPool.close} waits for a replica to exit before SIGKILL. */
const EXIT_GRACE_MS = 5_000;
/** The end of a replica's stderr kept for the message when it fails. */
const STDERR_TAIL = 4_000;

/** What {@link ProcessReplicaPool.start} needs. */
export interface ProcessReplicaPoolOptions {
  readonly model: LayersModel;
  /** Replicas in all, this process included (so `count - 1` replica processes). */
  readonly count: number;
  readonly outputKind: OutputKind;
  /**
   * Each replica process's `CUDA_VISIBLE_DEVICES`, replica 1 first (at least `count - 1`):
   * `GpuReplicaPlan.devices` without this process's own.
   */
  readonly devices: readonly string[];
  /** The backend each replica process resolves: `tensorflow-gpu` (`cpu`, `wasm`: stand-ins for tests). */
  readonly backend: BackendName;
  /** Where the replicas look tfjs-node-gpu up, and the nvidia-smi they ask (this process's). */
  readonly resolvePaths?: readonly string[];
  readonly nvidiaSmi?: string;
  /** Replica 0's share relative to a replica's (see `shardBounds`). Default 1: even. */
  readonly ownShardWeight?: number;
}

/** One replica process, as started. */
export interface ReplicaProcess {
  /** Its replica number (1 …). */
  readonly replica: number;
  readonly pid: number;
  /** The `CUDA_VISIBLE_DEVICES` it was started with. */
  readonly device: string;
  /** What it reported once ready: the backend it resolved and the variable as TensorFlow read it. */
  readonly ready: ProcessReplicaReady;
}

type Done = ProcessReplicaMessage & { type: "done" };

interface Child {
  readonly replica: number;
  readonly device: string;
  readonly process: ChildProcess;
  ready?: ProcessReplicaReady;
  stderr: string;
  pending?: { resolve: (message: Done) => void; reject: (error: Error) => void };
  failure?: Error;
  /** Set when the pool ends it: its exit is then no failure. */
  closing: boolean;
  readonly exited: Promise<void>;
}

/**
 * Data-parallel replicas of a model, one process per GPU: this process is replica 0 on the first
 * GPU, and `count - 1` processes forked with `child_process.fork`, each with
 * `CUDA_VISIBLE_DEVICES` set to one GPU of its own, are the others. Each loads tfjs-node-gpu and
 * builds its own copy of the model; {@link step} sends every replica the weights and its shard
 * (IPC with advanced serialization: typed arrays travel as they are), and adds the shards'
 * gradients in replica order in float32, as `ReplicaPool` does with worker threads: the same
 * `shardBounds` and `shardGradients`, so the same bits for the same `count`. The optimizer stays
 * here: apply {@link ReplicaStep.grads} in this process.
 *
 * A replica process ignores SIGINT and SIGTERM (the parent checkpoints, then closes the pool)
 * and exits when its parent closes the channel or dies, SIGKILL included.
 *
 * @example
 * const pool = await ProcessReplicaPool.start({ model, count: 2, outputKind: "probabilities",
 *   devices: ["GPU-1…"], backend: "tensorflow-gpu" });
 * try {
 *   const { loss, grads } = await pool.step(batch.xs, batch.ys, shape);
 *   tf.tidy(() => optimizer.applyGradients(pool.gradientMap(grads)));
 * } finally {
 *   await pool.close();
 * }
 */
export class ProcessReplicaPool implements Replicas {
  readonly count: number;
  readonly #model: LayersModel;
  readonly #kind: OutputKind;
  readonly #ownWeight: number | undefined;
  readonly #vars: tf.Variable[];
  readonly #own: Float32Array;
  readonly #children: Child[];
  #nextId = 0;
  #closed = false;
  #timings = { steps: 0, publishMs: 0, ownShardMs: 0, waitMs: 0, reduceMs: 0, replicaMs: 0 };

  private constructor(options: ProcessReplicaPoolOptions, children: Child[]) {
    this.count = options.count;
    this.#model = options.model;
    this.#kind = options.outputKind;
    this.#ownWeight = options.ownShardWeight;
    this.#vars = options.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.#own = new Float32Array(sizeOfAll(this.#vars.map((v) => v.shape)));
    this.#children = children;
  }

  /**
   * Forks `count - 1` replica processes and waits until each has loaded its backend and built
   * its model. Throws when one cannot (its GPU failed to initialise, it died), naming the
   * replica, its `CUDA_VISIBLE_DEVICES` and the end of its stderr; the others are ended.
   */
  static async start(options: ProcessReplicaPoolOptions): Promise<ProcessReplicaPool> {
    const { model, count, devices } = options;
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(`a replica pool needs a positive integer count, got ${count}`);
    }
    if (devices.length < count - 1) {
      throw new Error(
        `${count} replicas need ${count - 1} GPU${count > 2 ? "s" : ""} besides this process's, got ${devices.length}`,
      );
    }
    if (model.weights.some((w) => w.dtype !== "float32")) {
      throw new Error("replica processes need float32 weights");
    }
    const topology = model.toJSON(null, false) as object;
    const children: Child[] = [];
    const ready: Promise<void>[] = [];
    for (let r = 1; r < count; r++) {
      const child = forkReplica(r, devices[r - 1]!);
      children.push(child);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const fail = (error: Error) => {
            child.failure ??= error;
            reject(child.failure);
            child.pending?.reject(child.failure);
            child.pending = undefined;
          };
          child.process.on("message", (message: ProcessReplicaMessage) => {
            if (message.type === "ready") {
              child.ready = message;
              resolve();
            } else if (message.type === "done") {
              const pending = child.pending;
              child.pending = undefined;
              pending?.resolve(message);
            } else fail(replicaError(child, message.message, message.stack));
          });
          child.process.on("error", (error) => fail(replicaError(child, error.message)));
          child.process.on("exit", (code, signal) => {
            if (child.closing) return;
            const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
            fail(replicaError(child, `the process ${how}${stderrTail(child)}`));
          });
        }),
      );
      const init: ProcessReplicaInit = {
        type: "init",
        replica: r,
        backend: options.backend,
        ...(options.resolvePaths ? { resolvePaths: options.resolvePaths } : {}),
        ...(options.nvidiaSmi ? { nvidiaSmi: options.nvidiaSmi } : {}),
        topology,
        kind: options.outputKind,
      };
      child.process.send(init);
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      await Promise.all(children.map(endChild));
      throw error;
    }
    return new ProcessReplicaPool(options, children);
  }

  /** The replica processes (replica 1 first): pid, `CUDA_VISIBLE_DEVICES`, what each loaded. */
  get processes(): readonly ReplicaProcess[] {
    return this.#children.map((child) => ({
      replica: child.replica,
      pid: child.process.pid ?? -1,
      device: child.device,
      ready: child.ready!,
    }));
  }

  /** Per-step time spent on each part, summed since the start. */
  get timings(): ReplicaTimings {
    return { ...this.#timings };
  }

  /**
   * Computes the batch's loss, correct count and gradients over all replicas with the model's
   * current weights: shard 0 in this process while the replica processes compute theirs.
   */
  async step(xs: Float32Array, ys: Int32Array, shape: readonly number[]): Promise<ReplicaStep> {
    if (this.#closed) throw new Error("the replica pool is closed");
    const t0 = performance.now();
    const weights = this.#readWeights();
    const t1 = performance.now();
    const size = ys.length;
    const per = size === 0 ? 0 : xs.length / size;
    const failed = this.#children.find((child) => child.failure);
    if (failed?.failure) throw failed.failure;
    const answers = this.#children.map((child, i) => {
      const [start, end] = shardBounds(size, this.count, i + 1, this.#ownWeight);
      if (start === end) return undefined;
      const request: ProcessShardRequest = {
        type: "shard",
        id: this.#nextId++,
        weights,
        xs: xs.slice(start * per, end * per),
        ys: ys.slice(start, end),
        batchSize: size,
        shape,
      };
      return new Promise<Done>((resolve, reject) => {
        child.pending = { resolve, reject };
        child.process.send(request);
      });
    });
    // A failing replica must not leave the others' answers rejected and unobserved.
    for (const answer of answers) answer?.catch(() => {});
    const own = hostShardGradients(
      this.#model,
      this.#vars,
      { xs, ys, shape },
      shardBounds(size, this.count, 0, this.#ownWeight),
      this.#kind,
      this.#own,
    );
    const t2 = performance.now();
    const done = await Promise.all(answers);
    const t3 = performance.now();
    // The all-reduce: replica order, float32 adds (as ReplicaPool).
    const sum = this.#own;
    let loss = own.loss;
    let correct = own.correct;
    let slowest = 0;
    for (const answer of done) {
      if (answer === undefined) continue;
      addShard(sum, answer.grads);
      loss = Math.fround(loss + answer.loss);
      slowest = Math.max(slowest, answer.ms);
      correct += answer.correct;
    }
    const t4 = performance.now();
    const timings = this.#timings;
    timings.steps++;
    timings.publishMs += t1 - t0;
    timings.ownShardMs += t2 - t1;
    timings.waitMs += t3 - t2;
    timings.reduceMs += t4 - t3;
    timings.replicaMs += slowest;
    return { loss, correct, grads: sum };
  }

  /** `grads` as the `{ name, tensor }` list `optimizer.applyGradients` takes (call in `tf.tidy`). */
  gradientMap(grads: Float32Array): { name: string; tensor: tf.Tensor }[] {
    return gradientMapOf(this.#vars, grads);
  }

  /** Ends the replica processes (SIGKILL for one still there after 5 s). Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#children.map(endChild));
  }

  /** Every weight of the model, `model.weights` order, as the replicas load them. */
  #readWeights(): Float32Array {
    const all = new Float32Array(sizeOfAll(this.#model.weights.map((w) => w.shape as number[])));
    let offset = 0;
    for (const w of this.#model.weights) {
      const values = w.read().dataSync() as Float32Array;
      all.set(values, offset);
      offset += values.length;
    }
    return all;
  }
}

function forkReplica(replica: number, device: string): Child {
  const env: NodeJS.ProcessEnv = { ...process.env, CUDA_VISIBLE_DEVICES: device };
  const child = fork(ENTRY, [MAIN, SOURCES ? "ts" : "js"], {
    env,
    serialization: "advanced",
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const state: Child = {
    replica,
    device,
    process: child,
    stderr: "",
    closing: false,
    exited: new Promise((resolve) => child.once("exit", () => resolve())),
  };
  const keep = (chunk: Buffer) => {
    state.stderr = (state.stderr + chunk.toString("utf8")).slice(-STDERR_TAIL);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return state;
}

/** Closes a replica's channel (it exits on that), then SIGKILLs it after {@link EXIT_GRACE_MS}. */
async function endChild(child: Child): Promise<void> {
  const proc = child.process;
  child.closing = true;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  child.pending?.reject(new Error("the replica pool is closed"));
  if (proc.connected) proc.disconnect();
  const timer = setTimeout(() => proc.kill("SIGKILL"), EXIT_GRACE_MS);
  await child.exited;
  clearTimeout(timer);
}

function replicaError(child: Child, message: string, stack?: string): Error {
  const pid = child.process.pid === undefined ? "" : `process ${child.process.pid}, `;
  const error = new Error(
    `replica ${child.replica} (${pid}CUDA_VISIBLE_DEVICES=${child.device}): ${message}`,
  );
  if (stack) error.stack = `${error.message}\n${stack}`;
  return error;
}

function stderrTail(child: Child): string {
  const tail = child.stderr.trim();
  return tail === "" ? "" : `; its last output:\n${tail}`;
}
