import { parentPort, workerData } from "node:worker_threads";
import { augmentationFromRecipe } from "./augment-from-recipe.ts";
import type { LoaderInit, LoaderMessage, LoaderRequest } from "./batch-loader-protocol.ts";
import { type BatchSource, batches } from "./batches.ts";

// The batch loader thread: runs `batches()` (the very code the training thread would run, so
// the batches are the same bits) over the shared samples, at most `prefetch + 1` batches ahead
// of what the training thread has acknowledged.
const init = workerData as LoaderInit;
const port = parentPort!;
const source: BatchSource = {
  images: new Float32Array(init.images),
  labels: new Int32Array(init.labels),
  length: init.length,
  ...(init.shape ? { shape: init.shape } : {}),
};

interface Running {
  readonly id: number;
  acked: number;
  stopped: boolean;
  wake?: () => void;
}
let running: Running | undefined;

port.on("message", (request: LoaderRequest) => {
  if (request.type === "epoch") {
    if (running) stop(running);
    const epoch: Running = { id: request.id, acked: 0, stopped: false };
    running = epoch;
    void produce(epoch, request);
  } else if (running?.id === request.id) {
    if (request.type === "ack") running.acked++;
    else stop(running);
    running.wake?.();
  }
});

function stop(epoch: Running): void {
  epoch.stopped = true;
  epoch.wake?.();
}

async function produce(epoch: Running, request: LoaderRequest & { type: "epoch" }) {
  const send = (message: LoaderMessage, transfer: ArrayBuffer[] = []) =>
    port.postMessage(message, transfer);
  try {
    let sent = 0;
    const stream = batches(source, request.order, request.batchSize, {
      startBatch: request.startBatch,
      prefetch: 0,
      ...(request.recipe
        ? { augment: augmentationFromRecipe(request.recipe), seed: request.seed ?? 0 }
        : {}),
    });
    for await (const batch of stream) {
      while (!epoch.stopped && sent - epoch.acked > request.prefetch) {
        await new Promise<void>((resolve) => {
          epoch.wake = resolve;
        });
      }
      if (epoch.stopped) return;
      const { xs, ys } = batch;
      send({ type: "batch", id: epoch.id, index: batch.index, xs, ys, size: batch.size }, [
        xs.buffer as ArrayBuffer,
        ys.buffer as ArrayBuffer,
      ]);
      sent++;
    }
    if (!epoch.stopped) send({ type: "end", id: epoch.id });
  } catch (error) {
    send({ type: "error", id: epoch.id, message: (error as Error).message ?? String(error) });
  }
}
