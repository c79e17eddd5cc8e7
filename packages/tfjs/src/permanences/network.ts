import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { type LifecycleContext, messageOf, type Permanence, type PermanenceDeps } from "@tipi/core";
import { nearest } from "@tipi/core/did-you-mean";
import { CheckpointStore } from "../checkpoint/checkpoint-store.ts";
import { z } from "../lazy/zod.ts";
import { ARCHITECTURES, type ModelBuilder } from "../train/architectures.ts";
import type { Data } from "./data.ts";
import type { Hyperparameters } from "./hyperparameters.ts";
import { parseOptions } from "./parse-options.ts";

/**
 * The model does not fit its input: a feature map shrinks to nothing. A config problem:
 * `configError` makes `tipi run` exit with 2, as for any other bad config.
 */
export class ArchitectureError extends Error {
  override readonly name = "ArchitectureError";
  readonly configError = true;
}

/** `8×8 images` for `[8, 8, 1]`, else the shape. */
function describeInput(shape: readonly number[]): string {
  return shape.length === 3
    ? `${shape[0]}×${shape[1]} images`
    : `inputs of shape [${shape.join(", ")}]`;
}

/** The first layer whose output has a dimension ≤ 0, if any. */
function emptyLayer(model: LayersModel): { name: string; shape: number[] } | undefined {
  for (const layer of model.layers) {
    const shapes = (
      Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]
    ) as (number | null)[][];
    for (const shape of shapes) {
      const dims = shape.slice(1) as number[];
      if (dims.some((d) => d !== null && d <= 0)) return { name: layer.name, shape: dims };
    }
  }
  return undefined;
}

/**
 * Config schema of {@link Network}: exactly one of `architecture`, `module`, `load`. Each key's
 * description is what docs/config.md's `Network` table shows.
 */
export const networkParams = z
  .object({
    architecture: z
      .string()
      .refine((name) => name in ARCHITECTURES, {
        // checked with the config (tipi validate, its line), not when the model is built
        error: (issue) => {
          const near = nearest(String(issue.input), Object.keys(ARCHITECTURES));
          return `unknown architecture ${JSON.stringify(issue.input)}${near ? `: did you mean "${near}"?` : ""} (built in: ${Object.keys(ARCHITECTURES).join(", ")})`;
        },
      })
      .optional()
      .describe(
        "A built-in architecture: `small-cnn` (conv 3×3×16, max-pool 2, conv 3×3×32, max-pool 2, dense 64, dense per class) or `mlp` (flatten, dense 256, dense 128, dense per class). Set one of `architecture`, `module`, `load`.",
      ),
    module: z
      .string()
      .optional()
      .describe(
        "A JavaScript or TypeScript module whose default export builds the model: `({ inputShape, numClasses, seed }) => LayersModel` (a `ModelBuilder`).",
      ),
    load: z
      .string()
      .optional()
      .describe(
        "A folder holding a saved tfjs-layers model (`model.json` and its weights), e.g. a previous run's `model/`.",
      ),
    inputShape: z
      .array(z.number().int().positive())
      .optional()
      .describe("Shape of one input sample, e.g. `[28, 28, 1]`; default: the `data` permanence's."),
    numClasses: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Number of output classes; default: the `data` permanence's."),
    data: z
      .string()
      .default("data")
      .describe("Key of the Data permanence the input shape and class count come from."),
    hyperparameters: z
      .string()
      .default("hyperparameters")
      .describe(
        "Key of the Hyperparameters permanence whose `seed` initialises the weights (42 without one).",
      ),
  })
  .refine((p) => [p.architecture, p.module, p.load].filter((v) => v !== undefined).length <= 1, {
    message: "set only one of architecture, module, load",
  });

export type NetworkOptions = z.input<typeof networkParams> & {
  /** Builds the model (DSL pipelines); takes precedence over the config keys. */
  readonly build?: ModelBuilder;
  /** Default 42, or the hyperparameters permanence's `seed`. */
  readonly seed?: number;
};

/**
 * The model of a run, built on first use (after every permanence has initialised, so the
 * backend is chosen and the data's shape known) from a builder, a built-in architecture, a
 * module or a saved model. On interrupt, `checkpoint()` waits for a running train join to write
 * its training checkpoint at the batch boundary; `restore()` (on `--resume`) asks the train join
 * to continue from the newest one.
 *
 * @example
 * .provide({ network: () => new Network({ build: ({ inputShape, numClasses, seed }) => myCnn() }) })
 */
export class Network implements Permanence {
  static readonly params = networkParams;
  /** Params that are paths: a TOML file's are resolved from its folder by `tipi`. */
  static readonly pathParams = ["module", "load"] as const;
  readonly options: NetworkOptions;
  readonly #deps: PermanenceDeps | undefined;
  #model: LayersModel | undefined;
  #builder: ModelBuilder | undefined;
  #resume = false;
  #training: Promise<unknown> | undefined;

  constructor(options: NetworkOptions, deps?: PermanenceDeps) {
    parseOptions("Network", networkParams, options);
    this.options = options;
    this.#deps = deps;
  }

  /** Builds or loads the model; called by `model`'s first use, or explicitly. */
  async initialize(): Promise<void> {
    const o = this.options;
    if (this.#model) return;
    if (o.load) {
      const { loadModel } = await import("../checkpoint/saved-model.ts");
      this.#model = await loadModel(resolve(o.load));
      return;
    }
    if (o.module) {
      const mod = (await import(pathToFileURL(resolve(o.module)).href)) as { default?: unknown };
      if (typeof mod.default !== "function") {
        throw new Error(`${o.module} must export a model builder function as default`);
      }
      this.#builder = mod.default as ModelBuilder;
    }
  }

  #dep<T>(name: string): T | undefined {
    try {
      return this.#deps?.get(name) as T | undefined;
    } catch {
      return undefined;
    }
  }

  /** The model; built on first access. */
  get model(): LayersModel {
    if (this.#model) return this.#model;
    const o = this.options;
    const builder =
      o.build ??
      this.#builder ??
      (o.architecture !== undefined ? ARCHITECTURES[o.architecture] : undefined);
    if (!builder) {
      throw new Error(
        o.architecture !== undefined
          ? `unknown architecture "${o.architecture}" (built in: ${Object.keys(ARCHITECTURES).join(", ")})`
          : "Network needs `build`, `architecture`, `module` or `load`",
      );
    }
    const dataName = o.data ?? "data";
    const data = this.#dep<Data>(dataName);
    const hp = this.#dep<Hyperparameters>(o.hyperparameters ?? "hyperparameters");
    const inputShape = o.inputShape ?? (data ? [...data.train.shape] : undefined);
    const numClasses = o.numClasses ?? data?.train.numClasses;
    if (!inputShape || numClasses === undefined) {
      throw new Error(
        `Network needs inputShape and numClasses, or a "${dataName}" Data permanence`,
      );
    }
    const what =
      o.architecture !== undefined ? `the "${o.architecture}" architecture` : "the model";
    let model: LayersModel;
    try {
      model = builder({ inputShape, numClasses, seed: o.seed ?? hp?.values.seed ?? 42 });
    } catch (error) {
      // tfjs-layers: "Negative dimension size caused by adding layer …"
      const message = messageOf(error);
      if (!/negative dimension/i.test(message)) throw error;
      throw new ArchitectureError(
        `${what} is too deep for ${describeInput(inputShape)}: its feature maps shrink to nothing (${message}); use larger images or fewer pooling/strided layers`,
      );
    }
    const empty = emptyLayer(model);
    if (empty !== undefined) {
      model.dispose();
      throw new ArchitectureError(
        `${what} is too deep for ${describeInput(inputShape)}: its feature maps shrink to nothing (layer "${empty.name}" outputs [${empty.shape.join(", ")}]); use larger images or fewer pooling/strided layers`,
      );
    }
    this.#model = model;
    return this.#model;
  }

  /**
   * Builds the model before any step runs when its input shape is known, so that an
   * architecture that does not fit the data (feature maps that shrink to nothing) fails the
   * run at once, naming the image size, instead of training a degenerate model.
   */
  validate(): void {
    if (this.options.load !== undefined) return;
    const data = this.#dep<Data>(this.options.data ?? "data");
    if (this.options.inputShape === undefined && data === undefined) return;
    void this.model;
  }

  /** True after `restore()`: the train join then continues from the newest checkpoint. */
  get resumeRequested(): boolean {
    return this.#resume;
  }

  /** Saves the model (topology + weights) in the tfjs-layers format into `dir`. */
  async save(dir: string): Promise<void> {
    const { saveModel } = await import("../checkpoint/saved-model.ts");
    return saveModel(this.model, dir);
  }

  /**
   * Runs the train join's work on this model. An interrupt (`checkpoint` with reason
   * `"interrupt"`) waits for it: the loop sees the aborted signal at the next batch boundary
   * and writes a full training checkpoint (weights, optimizer, step, RNG) before cleanup
   * disposes the model.
   */
  async whileTraining<T>(work: () => Promise<T>): Promise<T> {
    const running = work();
    this.#training = running;
    try {
      return await running;
    } finally {
      if (this.#training === running) this.#training = undefined;
    }
  }

  /**
   * On interrupt, waits until a running training loop has written its checkpoint and stopped.
   * The training checkpoint is the only resume point: weights without the optimizer and the
   * step would resume a different run.
   */
  async checkpoint(ctx: LifecycleContext): Promise<void> {
    if (ctx.reason !== "interrupt" || this.#training === undefined) return;
    await this.#training.then(
      () => undefined,
      () => undefined,
    );
  }

  /** `--resume`: the train join then continues from the newest training checkpoint. */
  restore(ctx: LifecycleContext): void {
    this.#resume = true;
    if (ctx.runDir) new CheckpointStore(join(ctx.runDir, "checkpoints")).list();
  }

  cleanup(): void {
    this.#model?.dispose();
    this.#model = undefined;
  }
}
