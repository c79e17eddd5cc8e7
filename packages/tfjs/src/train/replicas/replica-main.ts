import { parentPort, workerData } from "node:worker_threads";
import type * as tf from "@tensorflow/tfjs-core";
import { resolveBackend } from "../../backend/resolve-backend.ts";
import { tfCore, tfLayers } from "../../lazy/modules.ts";
import type { ReplicaInit, ReplicaMessage, ShardRequest } from "./replica-protocol.ts";
import { shardGradients } from "./shard-step.ts";

// One replica: the model rebuilt from its topology on the training thread's backend. Each
// request loads the shared weights, computes its shard's gradients into the shared gradient
// buffer, and answers with the shard's loss and correct count.
const init = workerData as ReplicaInit;
const port = parentPort!;
const send = (message: ReplicaMessage) => port.postMessage(message);

try {
  await resolveBackend({ backend: init.backend });
  const tf = tfCore();
  const model = await tfLayers().models.modelFromJSON({
    modelTopology: init.topology as never,
  });
  const weights = model.weights;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const all = new Float32Array(init.weights);
  const grads = new Float32Array(init.grads);
  const shapes = weights.map((w) => w.shape as number[]);

  const loadWeights = () =>
    tf.tidy(() => {
      let offset = 0;
      const values = shapes.map((shape) => {
        const size = shape.reduce((a, b) => a * b, 1);
        const t = tf.tensor(all.subarray(offset, offset + size), shape, "float32");
        offset += size;
        return t;
      });
      model.setWeights(values);
    });

  port.on("message", (request: ShardRequest) => {
    const started = performance.now();
    try {
      loadWeights();
      const n = request.ys.length;
      const xs = tf.tensor(request.xs, [n, ...request.shape]);
      const ys = tf.tensor1d(request.ys, "int32");
      const result = shardGradients(
        model,
        vars,
        xs,
        ys,
        request.ys,
        request.batchSize,
        init.kind,
        grads,
      );
      tf.dispose([xs, ys]);
      send({ type: "done", id: request.id, ...result, ms: performance.now() - started });
    } catch (error) {
      send(errorMessage(error));
    }
  });
  send({ type: "ready" });
} catch (error) {
  send(errorMessage(error));
}

function errorMessage(error: unknown): ReplicaMessage {
  return error instanceof Error
    ? { type: "error", message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
    : { type: "error", message: String(error) };
}
