import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../src/backend/resolve-backend.ts";
import { captureOptimizer, restoreOptimizer } from "../src/checkpoint/model-state.ts";
import { adamKernel, adamScalars, adamUpdateJs, sharedMemory } from "../src/train/adam-kernel.ts";
import { AdamState, isPlainAdam } from "../src/train/fused-adam.ts";

/** Deterministic values of every size class Adam meets: zeros, subnormals, tiny, large. */
function values(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    const r = x - Math.floor(x) - 0.5;
    out[i] = i % 97 === 0 ? 0 : i % 89 === 0 ? 1e-40 * Math.sign(r) : r * scale * (1 + (i % 7));
  }
  return out;
}

const same = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );

describe("the Adam kernel", () => {
  it("gives the JavaScript reference's bits, SIMD body and scalar tail alike", () => {
    const n = 1_001; // not a multiple of 4: the tail runs too
    const memory = sharedMemory(6 * n);
    const kernel = adamKernel(memory);
    expect(kernel).toBeDefined();
    const f = new Float32Array(memory.buffer);
    const [W, M, V, G, H] = [0, n, 2 * n, 3 * n, 4 * n];
    f.set(values(n, 1, 0.2), W);
    const w = f.slice(W, W + n);
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    let accBeta1 = Math.fround(0.9);
    let accBeta2 = Math.fround(0.999);
    for (let t = 0; t < 40; t++) {
      const s = adamScalars({
        learningRate: t < 20 ? 0.002 : 0.0005,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
        accBeta1,
        accBeta2,
      });
      // Two shards' gradients, summed as the all-reduce does.
      f.set(values(n, t + 2, t % 3 === 0 ? 10 : 1e-3), G);
      f.set(values(n, t + 50, 1e-2), H);
      const g = f.slice(G, G + n);
      const h = f.slice(H, H + n);
      for (let i = 0; i < n; i++) g[i] = g[i]! + h[i]!;
      kernel!.add(4 * G, 4 * H, n);
      expect(same(f.subarray(G, G + n), g)).toBe(true);
      adamUpdateJs(w, m, v, g, s);
      kernel!.adam(4 * W, 4 * M, 4 * V, 4 * G, n, s);
      accBeta1 = Math.fround(accBeta1 * s.b1);
      accBeta2 = Math.fround(accBeta2 * s.b2);
    }
    expect(same(f.subarray(W, W + n), w)).toBe(true);
    expect(same(f.subarray(M, M + n), m)).toBe(true);
    expect(same(f.subarray(V, V + n), v)).toBe(true);
    expect(w.some((x, i) => x !== values(n, 1, 0.2)[i])).toBe(true);
  });
});

describe.each(["wasm", "cpu"] as const)("AdamState on %s", (backend) => {
  afterAll(() => tf.disposeVariables());

  /** Two variables, one of a size that is not a multiple of 4. */
  const makeVars = (prefix: string) => [
    tf.variable(tf.tensor(values(6 * 5, 3, 0.3), [6, 5]), true, `${prefix}/a`),
    tf.variable(tf.tensor(values(7, 4, 0.3), [7]), true, `${prefix}/b`),
  ];
  const flat = (vars: readonly tf.Variable[]) =>
    Float32Array.from(vars.flatMap((v) => [...(v.dataSync() as Float32Array)]));
  const gradsAt = (t: number) => [
    tf.tensor(values(30, 100 + t, t % 4 === 0 ? 5 : 1e-2), [6, 5]),
    tf.tensor(values(7, 200 + t, 1e-2), [7]),
  ];

  /** Steps with the kernel on flat arrays, as the replica pool runs them. */
  function fusedSteps(
    state: AdamState,
    vars: readonly tf.Variable[],
    from: number,
    to: number,
    lr: (t: number) => number,
  ) {
    const w = flat(vars);
    state.load();
    for (let t = from; t < to; t++) {
      (state.optimizer as unknown as { learningRate: number }).learningRate = lr(t);
      const grads = gradsAt(t);
      const g = Float32Array.from(grads.flatMap((x) => [...(x.dataSync() as Float32Array)]));
      tf.dispose(grads);
      const s = state.scalars();
      adamUpdateJs(w, state.m, state.v, g, s);
      state.stepped(s);
    }
    let offset = 0;
    for (const v of vars) {
      v.assign(tf.tensor(w.slice(offset, offset + v.size), v.shape));
      offset += v.size;
    }
  }

  it("updates to tfjs AdamOptimizer's bits over many steps, learning rate changes included", async () => {
    await resolveBackend({ backend });
    const lr = (t: number) => (t < 15 ? 0.01 : 0.003);
    const reference = makeVars(`${backend}-ref`);
    const optimizer = tf.train.adam(0.01);
    for (let t = 0; t < 30; t++) {
      (optimizer as unknown as { learningRate: number }).learningRate = lr(t);
      const grads = gradsAt(t);
      optimizer.applyGradients(reference.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
      tf.dispose(grads);
    }

    const vars = makeVars(`${backend}-fused`);
    const fused = tf.train.adam(0.01);
    expect(isPlainAdam(fused)).toBe(true);
    const state = new AdamState(fused, vars, new Float32Array(37), new Float32Array(37));
    fusedSteps(state, vars, 0, 30, lr);
    expect(same(flat(vars), flat(reference))).toBe(true);

    // Saved into the tfjs optimizer, the state is tfjs's own, moment for moment.
    state.save();
    const a = await captureOptimizer(optimizer);
    const b = await captureOptimizer(fused);
    expect(b.map((x) => x.name.replace(/fused/, "ref"))).toEqual(a.map((x) => x.name));
    for (const [i, x] of a.entries()) expect([...b[i]!.data]).toEqual([...x.data]);
  });

  it("continues after a checkpoint round trip as an uninterrupted run does", async () => {
    await resolveBackend({ backend });
    const lr = () => 0.005;
    const straightVars = makeVars(`${backend}-straight`);
    const straight = new AdamState(
      tf.train.adam(0.005),
      straightVars,
      new Float32Array(37),
      new Float32Array(37),
    );
    fusedSteps(straight, straightVars, 0, 20, lr);

    const firstVars = makeVars(`${backend}-first`);
    const first = new AdamState(
      tf.train.adam(0.005),
      firstVars,
      new Float32Array(37),
      new Float32Array(37),
    );
    fusedSteps(first, firstVars, 0, 8, lr);
    first.save();
    const saved = await captureOptimizer(first.optimizer);
    const weights = flat(firstVars);

    // A new process: fresh variables and optimizer, restored from the arrays.
    const resumedVars = makeVars(`${backend}-resumed`);
    let offset = 0;
    for (const v of resumedVars) {
      v.assign(tf.tensor(weights.slice(offset, offset + v.size), v.shape));
      offset += v.size;
    }
    const optimizer = tf.train.adam(0.005);
    await restoreOptimizer(optimizer, saved);
    const resumed = new AdamState(
      optimizer,
      resumedVars,
      new Float32Array(37),
      new Float32Array(37),
    );
    fusedSteps(resumed, resumedVars, 8, 20, lr);
    expect(same(flat(resumedVars), flat(straightVars))).toBe(true);
    resumed.save();
    expect(optimizer.iterations).toBe(20);

    // A state changed outside (restored again) is read again before the next step.
    await restoreOptimizer(optimizer, saved);
    resumed.load();
    expect(same(resumed.m, first.m)).toBe(true);
  });
});

describe("isPlainAdam", () => {
  it("is tfjs's Adam only, not another optimizer or a subclass", () => {
    class Custom extends tf.AdamOptimizer {}
    expect(isPlainAdam(tf.train.adam(0.1))).toBe(true);
    expect(isPlainAdam(tf.train.sgd(0.1))).toBe(false);
    expect(isPlainAdam(new Custom(0.1, 0.9, 0.999))).toBe(false);
  });
});
