import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { resolveBackend } from "../../backend/resolve-backend.ts";
import { tfCore, tfLayers } from "../../lazy/modules.ts";
import type {
  ProcessReplicaInit,
  ProcessReplicaMessage,
  ProcessShardRequest,
} from "./process-protocol.ts";
import { sizeOfAll } from "./replicas.ts";
import { shardGradients } from "./shard-step.ts";

// One replica process (forked by ProcessReplicaPool with its own CUDA_VISIBLE_DEVICES): loads
// the backend the init message names, rebuilds the model from its topology, then answers each
// shard request with the shard's gradients computed by the same shardGradients as every replica.
//
// Ending is the parent's job: a Ctrl-C reaches the whole process group, so SIGINT and SIGTERM
// are ignored here (the parent checkpoints, then closes the channel). The replica ends when the
// IPC channel closes: the parent closed the pool, or died (even by SIGKILL); a parent-pid check
// every 500 ms (as tipi's parent-watch) backs that up.

if (!process.send) throw new Error("process-replica-main runs as a forked replica process");
const send = (message: ProcessReplicaMessage) => {
  if (process.connected) process.send?.(message);
};
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 500);
watch.unref();
process.on("disconnect", () => process.exit(0));
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});

interface Replica {
  readonly model: LayersModel;
  readonly vars: tf.Variable[];
  readonly gradSize: number;
  readonly kind: ProcessReplicaInit["kind"];
}
let replica: Replica | undefined;

process.on("message", (message: ProcessReplicaInit | ProcessShardRequest) => {
  if (message.type === "init") void start(message);
  else if (message.type === "shard") answer(message);
});

async function start(init: ProcessReplicaInit): Promise<void> {
  try {
    const choice = await resolveBackend({
      backend: init.backend,
      ...(init.resolvePaths ? { resolvePaths: init.resolvePaths } : {}),
      ...(init.nvidiaSmi ? { nvidiaSmi: init.nvidiaSmi } : {}),
    });
    const model = await tfLayers().models.modelFromJSON({
      modelTopology: init.topology as never,
    });
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    replica = { model, vars, gradSize: sizeOfAll(vars.map((v) => v.shape)), kind: init.kind };
    send({
      type: "ready",
      pid: process.pid,
      backend: choice.name,
      reason: choice.reason,
      cudaVisibleDevices: process.env.CUDA_VISIBLE_DEVICES,
    });
  } catch (error) {
    send(errorMessage(error));
  }
}

function answer(request: ProcessShardRequest): void {
  const started = performance.now();
  try {
    if (!replica) throw new Error("a shard arrived before the replica was ready");
    const tf = tfCore();
    const { model, vars, kind } = replica;
    tf.tidy(() => {
      let offset = 0;
      const values = model.weights.map((w) => {
        const shape = w.shape as number[];
        const size = shape.reduce((a, b) => a * b, 1);
        const t = tf.tensor(request.weights.subarray(offset, offset + size), shape, "float32");
        offset += size;
        return t;
      });
      model.setWeights(values);
    });
    const n = request.ys.length;
    const xs = tf.tensor(request.xs, [n, ...request.shape]);
    const ys = tf.tensor1d(request.ys, "int32");
    const grads = new Float32Array(replica.gradSize);
    let result: { loss: number; correct: number };
    try {
      result = shardGradients(model, vars, xs, ys, request.ys, request.batchSize, kind, grads);
    } finally {
      tf.dispose([xs, ys]);
    }
    send({ type: "done", id: request.id, ...result, grads, ms: performance.now() - started });
  } catch (error) {
    send(errorMessage(error));
  }
}

function errorMessage(error: unknown): ProcessReplicaMessage {
  return error instanceof Error
    ? { type: "error", message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
    : { type: "error", message: String(error) };
}
