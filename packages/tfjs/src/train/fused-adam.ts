import type * as tf from "@tensorflow/tfjs-core";
import { tfCore } from "../lazy/modules.ts";
import { type AdamScalars, type AdamSettings, adamScalars } from "./adam-kernel.ts";

/** The parts of tfjs's `AdamOptimizer` its TypeScript types keep private. */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  iterations_: number;
}

/**
 * Whether `optimizer` is tfjs's own Adam (not a subclass, which may change the update), the
 * one {@link AdamState} can run outside tfjs bit for bit.
 */
export function isPlainAdam(optimizer: tf.Optimizer): optimizer is tf.AdamOptimizer {
  return optimizer.constructor === tfCore().AdamOptimizer;
}

/**
 * The state of a tfjs `AdamOptimizer` (moments, running powers of beta, iteration count) kept
 * in flat float32 arrays, in the order of `vars`, for an Adam step outside tfjs (see
 * `adam-kernel.ts`). The tfjs optimizer stays the state's home for checkpoints:
 * {@link load} reads it (when something else changed it since), {@link save} writes it back.
 */
export class AdamState {
  readonly optimizer: tf.AdamOptimizer;
  readonly #vars: readonly tf.Variable[];
  readonly #m: Float32Array;
  readonly #v: Float32Array;
  #accBeta1 = 0;
  #accBeta2 = 0;
  #iterations = 0;
  /** The tfjs state's tensors when this object last read or wrote it: changed → read again. */
  #seen: readonly object[] = [];
  #seenIterations = -1;
  /** Steps taken here since the last {@link save}. */
  #unsaved = false;

  /** `m` and `v` must hold the sum of `vars`' sizes each (they may be views of shared memory). */
  constructor(
    optimizer: tf.AdamOptimizer,
    vars: readonly tf.Variable[],
    m: Float32Array,
    v: Float32Array,
  ) {
    this.optimizer = optimizer;
    this.#vars = vars;
    this.#m = m;
    this.#v = v;
  }

  /** The first moments, flat in `vars` order (current after {@link load}). */
  get m(): Float32Array {
    return this.#m;
  }

  get v(): Float32Array {
    return this.#v;
  }

  /** Reads the tfjs optimizer's state unless it is the one this object last read or wrote. */
  load(): void {
    if (!this.#changedOutside()) return;
    const o = this.#internals();
    let offset = 0;
    for (const [i, variable] of this.#vars.entries()) {
      const n = variable.size;
      const m = o.accumulatedFirstMoment[i]?.variable;
      const v = o.accumulatedSecondMoment[i]?.variable;
      if (m) this.#m.set(m.dataSync() as Float32Array, offset);
      else this.#m.fill(0, offset, offset + n);
      if (v) this.#v.set(v.dataSync() as Float32Array, offset);
      else this.#v.fill(0, offset, offset + n);
      offset += n;
    }
    this.#accBeta1 = o.accBeta1.dataSync()[0]!;
    this.#accBeta2 = o.accBeta2.dataSync()[0]!;
    this.#iterations = this.optimizer.iterations;
    this.#remember();
  }

  /** This step's float32 constants (learning rate as the optimizer holds it now). */
  scalars(): AdamScalars {
    const o = this.#internals();
    const settings: AdamSettings = {
      learningRate: o.learningRate,
      beta1: o.beta1,
      beta2: o.beta2,
      epsilon: o.epsilon,
      accBeta1: this.#accBeta1,
      accBeta2: this.#accBeta2,
    };
    return adamScalars(settings);
  }

  /** Records that a step with {@link scalars} was applied to the arrays. */
  stepped(s: AdamScalars): void {
    this.#accBeta1 = Math.fround(this.#accBeta1 * s.b1);
    this.#accBeta2 = Math.fround(this.#accBeta2 * s.b2);
    this.#iterations++;
    this.#unsaved = true;
  }

  /**
   * Writes the state into the tfjs optimizer (moments, `accBeta1`/`accBeta2`, iterations), so
   * `optimizer.getWeights()` and checkpoints see it. Cheap when nothing changed.
   */
  save(): void {
    if (!this.#unsaved) return;
    const tf = tfCore();
    const o = this.#internals();
    let offset = 0;
    tf.tidy(() => {
      for (const [i, variable] of this.#vars.entries()) {
        const n = variable.size;
        const write = (
          slots: AdamInternals["accumulatedFirstMoment"],
          values: Float32Array,
          suffix: string,
        ) => {
          const tensor = tf.tensor(values.slice(offset, offset + n), variable.shape, "float32");
          const slot = slots[i];
          if (slot) slot.variable.assign(tensor);
          else
            slots[i] = {
              originalName: `${variable.name}/${suffix}`,
              variable: tf.variable(tensor, false),
            };
        };
        write(o.accumulatedFirstMoment, this.#m, "m");
        write(o.accumulatedSecondMoment, this.#v, "v");
        offset += n;
      }
      o.accBeta1.assign(tf.scalar(this.#accBeta1));
      o.accBeta2.assign(tf.scalar(this.#accBeta2));
    });
    o.iterations_ = this.#iterations;
    this.#unsaved = false;
    this.#remember();
  }

  #internals(): AdamInternals {
    return this.optimizer as unknown as AdamInternals;
  }

  /** The tfjs state's identity: its variables' data ids (an `assign` replaces them). */
  #identity(): object[] {
    const o = this.#internals();
    const ids: object[] = [o.accBeta1.dataId, o.accBeta2.dataId];
    for (const slot of [...o.accumulatedFirstMoment, ...o.accumulatedSecondMoment]) {
      if (slot) ids.push(slot.variable.dataId);
    }
    return ids;
  }

  #changedOutside(): boolean {
    if (this.optimizer.iterations !== this.#seenIterations) return true;
    const now = this.#identity();
    return now.length !== this.#seen.length || now.some((id, i) => id !== this.#seen[i]);
  }

  #remember(): void {
    this.#seen = this.#identity();
    this.#seenIterations = this.optimizer.iterations;
  }
}
