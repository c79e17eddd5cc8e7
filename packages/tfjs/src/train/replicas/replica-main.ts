import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import type * as tf from "@tensorflow/tfjs-core";
import { resolveBackend } from "../../backend/resolve-backend.ts";
import { evaluateModel } from "../../evaluate/evaluate.ts";
import { tfCore, tfLayers } from "../../lazy/modules.ts";
import {
  type ReplicaInit,
  type ReplicaMessage,
  type ShardRequest,
  Signals,
  Waiter,
} from "./replica-protocol.ts";
import { shardGradients } from "./shard-step.ts";

// One replica: the model rebuilt from its topology on the training thread's backend. Once
// ready it serves requests in a loop that never returns to the event loop: it waits for the
// training thread's signal (polling a little, then sleeping), takes the request message,
// loads the shared weights, computes its shard's gradients into its gradient slot, writes
// the shard's loss, correct count and time, and signals that it is done.
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

  const signals = new Signals(init.signals);
  const { words, results } = signals;
  const requestAt = Signals.requestIndex(init.replica);
  const doneAt = Signals.doneIndex(init.replica);

  /** The next request message, there once the request word changed (posted just before). */
  const nextRequest = (): ShardRequest => {
    for (;;) {
      const received = receiveMessageOnPort(port);
      if (received) return received.message as ShardRequest;
      Atomics.wait(words, requestAt, Atomics.load(words, requestAt), 1);
    }
  };

  const serve = () => {
    const waiter = new Waiter(init.spinMs);
    let seen = 0;
    for (;;) {
      let seq = seen;
      while (seq === seen) seq = waiter.wait(words, requestAt, seen, 1000);
      seen = seq;
      const request = nextRequest();
      if (request.type === "close") return;
      const started = performance.now();
      try {
        loadWeights();
        if (request.type === "evaluate") {
          const ev = evaluateModel(
            model,
            {
              images: request.xs,
              labels: request.ys,
              length: request.ys.length,
              numClasses: request.numClasses,
            },
            { batchSize: request.batchSize, outputKind: init.kind },
          );
          results[3 * init.replica] = ev.loss * ev.samples;
          results[3 * init.replica + 1] = Math.round(ev.accuracy * ev.samples);
          results[3 * init.replica + 2] = performance.now() - started;
          Atomics.store(words, doneAt, seq);
          Atomics.notify(words, doneAt);
          continue;
        }
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
        results[3 * init.replica] = result.loss;
        results[3 * init.replica + 1] = result.correct;
        results[3 * init.replica + 2] = performance.now() - started;
        Atomics.store(words, doneAt, seq);
      } catch (error) {
        send(errorMessage(error));
        Atomics.store(words, doneAt, -seq);
      }
      Atomics.notify(words, doneAt);
    }
  };
  // After this module's evaluation has finished: serve() returns only on "close".
  setImmediate(serve);
  send({ type: "ready" });
} catch (error) {
  send(errorMessage(error));
}

function errorMessage(error: unknown): ReplicaMessage {
  return error instanceof Error
    ? { type: "error", message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
    : { type: "error", message: String(error) };
}
