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
  const weights = model.weights.map((w) => w.read() as tf.Variable);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const floats = new Float32Array(init.memory);
  const paramCount = vars.reduce((n, v) => n + v.size, 0);
  const grads = floats.subarray(init.grads, init.grads + paramCount);
  // The cpu backend keeps the array a tensor is made from: give it a copy of the shared view.
  const copy = init.backend !== "wasm";

  // Every weight from the shared memory into this replica's variables (a new tensor each, as
  // tfjs's own assign does: a kernel's cached operator stays tied to the weights it packed).
  const loadWeights = () => {
    let offset = init.weights;
    for (const variable of weights) {
      const view = floats.subarray(offset, offset + variable.size);
      const tensor = tf.tensor(copy ? view.slice() : view, variable.shape, "float32");
      variable.assign(tensor);
      tensor.dispose();
      offset += variable.size;
    }
  };

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
