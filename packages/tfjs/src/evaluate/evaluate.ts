import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { tfCore } from "../lazy/modules.ts";
import {
  batchTensors,
  gatherBatch,
  identityOrder,
  type LabelledArrays,
  sampleShape,
} from "../train/batch.ts";
import { crossEntropy, type OutputKind, outputKindOf } from "../train/losses.ts";

/** Options of {@link evaluateModel}. */
export interface EvaluateOptions {
  readonly batchSize?: number;
  readonly outputKind?: OutputKind;
  /** Checked between batches; aborting throws `signal.reason`. */
  readonly signal?: AbortSignal;
}

/** One class's line of {@link Evaluation.perClass}. */
export interface ClassResult {
  /** The class name (its index as a string when the dataset has no names). */
  readonly label: string;
  /** Recall of the class; NaN when it has no samples. */
  readonly accuracy: number;
  /** How many samples of the class were evaluated. */
  readonly count: number;
}

/** What {@link evaluateModel} measures on a labelled dataset. */
export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
  readonly samples: number;
  /** Accuracy (recall) of each true class; NaN for a class with no samples. */
  readonly perClassAccuracy: readonly number[];
  /** `confusion[trueClass][predictedClass]` = count. */
  readonly confusion: readonly (readonly number[])[];
  readonly classNames?: readonly string[];
  /** Per class: name, accuracy and sample count, in class order. */
  readonly perClass: readonly ClassResult[];
}

/**
 * Loss, accuracy, per-class accuracy and the confusion matrix of `model` on `data`, in one
 * synchronous pass: `signal` is checked between batches but cannot fire while it runs (the train
 * loop's validation, which stops at its own batch boundaries). Steps use
 * {@link evaluateModelAsync}, which a Ctrl-C can interrupt.
 */
export function evaluateModel(
  model: LayersModel,
  data: LabelledArrays,
  options: EvaluateOptions = {},
): Evaluation {
  const pass = evaluationPass(model, data, options);
  while (!pass.done()) {
    if (options.signal?.aborted) throw options.signal.reason;
    pass.next();
  }
  return pass.result();
}

/** Lets signal handlers and timers run. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * {@link evaluateModel} that yields to the event loop between batches (every 20 ms at most), so
 * that an abort of `signal` (Ctrl-C, SIGTERM, a step timeout) arrives while it runs; aborting
 * throws `signal.reason`, also when it comes during the last batches.
 *
 * @example
 * const { accuracy } = await evaluateModelAsync(model, data.test, { signal: ctx.signal });
 */
export async function evaluateModelAsync(
  model: LayersModel,
  data: LabelledArrays,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const pass = evaluationPass(model, data, options);
  let lastYield = performance.now();
  while (!pass.done()) {
    if (options.signal?.aborted) throw options.signal.reason;
    pass.next();
    if (performance.now() - lastYield > 20) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  await yieldToEventLoop();
  if (options.signal?.aborted) throw options.signal.reason;
  return pass.result();
}

/** An evaluation, one batch per `next()`. */
function evaluationPass(
  model: LayersModel,
  data: LabelledArrays,
  options: EvaluateOptions,
): { done(): boolean; next(): void; result(): Evaluation } {
  const tf = tfCore();
  const batchSize = options.batchSize ?? 256;
  const kind = options.outputKind ?? outputKindOf(model);
  const shape = sampleShape(model);
  const k = data.numClasses;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const order = identityOrder(data.length);
  let lossSum = 0;
  let start = 0;
  const next = () => {
    const batch = gatherBatch(data, order, start, batchSize);
    start += batchSize;
    const [loss, predicted] = tf.tidy(() => {
      const [xs, ys] = batchTensors(batch, shape);
      const out = model.apply(xs, { training: false }) as tf.Tensor;
      return [crossEntropy(out, ys, kind).dataSync()[0]!, tf.argMax(out, -1).dataSync()];
    });
    lossSum += loss * batch.size;
    for (let i = 0; i < batch.size; i++) {
      const row = confusion[batch.ys[i]!];
      const p = predicted[i]!;
      if (row && p < k) row[p] = (row[p] ?? 0) + 1;
    }
  };
  return {
    done: () => start >= data.length,
    next,
    result: () => summarise(data, lossSum, confusion),
  };
}

function summarise(
  data: LabelledArrays,
  lossSum: number,
  confusion: readonly (readonly number[])[],
): Evaluation {
  const correct = confusion.reduce((n, row, i) => n + (row[i] ?? 0), 0);
  const counts = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const perClassAccuracy = confusion.map((row, i) =>
    counts[i] === 0 ? Number.NaN : (row[i] ?? 0) / (counts[i] ?? 1),
  );
  return {
    loss: data.length === 0 ? Number.NaN : lossSum / data.length,
    accuracy: data.length === 0 ? Number.NaN : correct / data.length,
    samples: data.length,
    perClassAccuracy,
    confusion,
    ...(data.classNames ? { classNames: data.classNames } : {}),
    perClass: perClassAccuracy.map((accuracy, i) => ({
      label: data.classNames?.[i] ?? String(i),
      accuracy,
      count: counts[i] ?? 0,
    })),
  };
}
