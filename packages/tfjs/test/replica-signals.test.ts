import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { Signals, Waiter } from "../src/train/replicas/replica-protocol.ts";

describe("Signals and Waiter", () => {
  it("see a word another thread changes, polling first, and stop polling when polls run out", async () => {
    const signals = Signals.create(2);
    const { words } = signals;
    const at = Signals.doneIndex(1);
    expect(Signals.requestIndex(1)).not.toBe(at);
    // Another thread stores the word after ~30 ms: a 1 ms poll runs out, the sleep sees it.
    const worker = new Worker(
      `const { workerData: w } = require("node:worker_threads");
       setTimeout(() => { Atomics.store(w, ${at}, 7); Atomics.notify(w, ${at}); }, 30);`,
      { eval: true, workerData: words },
    );
    const waiter = new Waiter(1);
    let now = 0;
    const started = performance.now();
    while (now === 0) now = waiter.wait(words, at, 0, 1000);
    expect(now).toBe(7);
    expect(performance.now() - started).toBeGreaterThanOrEqual(20);
    expect(waiter.spinMs).toBeLessThan(1);
    // A change already there returns at once.
    expect(waiter.wait(words, at, 0, 1000)).toBe(7);
    // Nothing changes: the slice runs out and the old value comes back.
    expect(waiter.wait(words, Signals.requestIndex(1), 0, 5)).toBe(0);
    await worker.terminate();
    // Results are float64 slots beside the words, 3 a replica.
    signals.results[3 * 1] = 0.1;
    expect(new Signals(signals.buffer).results[3]).toBe(0.1);
  });
});
