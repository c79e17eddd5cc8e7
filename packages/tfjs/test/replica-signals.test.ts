import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { Signals, Waiter } from "../src/train/replicas/replica-protocol.ts";

describe("Signals and Waiter", () => {
  it("see a word another thread changes; a long wait halves the polling budget, a short one restores it", async () => {
    const signals = Signals.create(2);
    const { words } = signals;
    const request = Signals.requestIndex(1);
    const done = Signals.doneIndex(1);
    expect(request).not.toBe(done);
    // Another thread answers each request word with the same done word: after 200 ms for the
    // first, at once (well within 50 ms) for the others.
    const worker = new Worker(
      `const { workerData: w } = require("node:worker_threads");
       let seen = 0;
       for (;;) {
         Atomics.wait(w, ${request}, seen);
         seen = Atomics.load(w, ${request});
         if (seen < 0) break;
         if (seen === 1) Atomics.wait(w, 0, 0, 200);
         Atomics.store(w, ${done}, seen);
         Atomics.notify(w, ${done});
       }`,
      { eval: true, workerData: words },
    );
    const ask = (n: number) => {
      Atomics.store(words, request, n);
      Atomics.notify(words, request);
    };
    const waiter = new Waiter(50);
    const answer = (n: number) => {
      let now = n - 1;
      while (now === n - 1) now = waiter.wait(words, done, n - 1, 1000);
      return now;
    };
    const started = performance.now();
    ask(1);
    expect(answer(1)).toBe(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(waiter.spinMs).toBe(25);
    ask(2);
    expect(answer(2)).toBe(2);
    expect(waiter.spinMs).toBe(50);
    // A change already there returns at once; none at all runs out and returns the old value.
    expect(waiter.wait(words, done, 0, 1000)).toBe(2);
    expect(waiter.wait(words, Signals.requestIndex(0), 0, 5)).toBe(0);
    ask(-1);
    await worker.terminate();
    // Results are float64 slots beside the words, 3 a replica.
    signals.results[3] = 0.1;
    expect(new Signals(signals.buffer).results[3]).toBe(0.1);
  });
});
