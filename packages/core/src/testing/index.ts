/**
 * Unit-testing helpers: run one step, a slice of steps, or a whole pipeline with fake
 * permanences, no CLI and no GPU, and capture every event.
 *
 * @example
 * const { result, events } = await runStep(pipeline, "normalise", { pixels }, {
 *   permanences: { device: { name: "cpu", cleanup() {} } },
 * });
 */
import type { Result } from "neverthrow";
import type { PipelineLike } from "../pipeline/pipeline.ts";
import { type RunOptions, runGraph } from "../runtime/executor.ts";
import type { inferSlotInput, inferStepSlot, PipelineDef, SlotField } from "../types/def.ts";
import type { PipelineError } from "../types/errors.ts";
import type { EventOf, TipiEvent, TipiEventType } from "../types/events.ts";
import type { PipelineTypeError } from "../types/type-error.ts";

/** Fakes by permanence name; each replaces the permanence's factory (its lifecycle still runs). */
export type FakePermanences<TPerms extends object> = {
  readonly [K in keyof TPerms]?: Partial<TPerms[K]>;
};

/** Options of the test runners. */
export interface TestRunOptions<TPerms extends object> extends Omit<RunOptions, "onEvent"> {
  readonly permanences?: FakePermanences<TPerms>;
  /** Also forward events here (they are captured either way). */
  readonly onEvent?: (event: TipiEvent) => void;
}

/** What a test run returns: the result and every event, in order. */
export interface TestRun<T> {
  readonly result: Result<T, PipelineError>;
  readonly events: readonly TipiEvent[];
  /** The events of one type. */
  eventsOf<K extends TipiEventType>(type: K): EventOf<K>[];
}

type DefOf<P extends PipelineLike> = P["~def"];
type NodeName<D extends PipelineDef> = D["names"];
type NodeSlot<D extends PipelineDef, N> = inferStepSlot<D["steps"], N>;
type NodeIn<D extends PipelineDef, N> = inferSlotInput<NodeSlot<D, N>, D["input"]>;
type NodeOut<D extends PipelineDef, N> = SlotField<NodeSlot<D, N>, "after">;

/** A step's name, or an error listing the names the pipeline has. */
type KnownName<D extends PipelineDef, N extends string> = [N] extends [D["names"]]
  ? N
  : PipelineTypeError<`no step named "${N}"`, { steps: NodeName<D> }>;

function indexOf(pipeline: PipelineLike, name: string): number {
  const steps = pipeline.describe().steps;
  const at = steps.findIndex((s) => s.name === name);
  if (at < 0) {
    const names = steps.map((s) => s.name).join(", ");
    throw new TypeError(`pipeline "${pipeline.describe().name}" has no step "${name}" (${names})`);
  }
  return at;
}

async function execute<T>(
  pipeline: PipelineLike,
  input: unknown,
  options: TestRunOptions<object>,
  from: number | undefined,
  to: number | undefined,
): Promise<TestRun<T>> {
  const events: TipiEvent[] = [];
  const { permanences, onEvent, ...runOptions } = options;
  const result = await runGraph(
    pipeline.describe(),
    input,
    {
      ...runOptions,
      onEvent: (e) => {
        events.push(e);
        onEvent?.(e);
      },
    },
    {
      overrides: new Map(Object.entries(permanences ?? {})),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
    },
  );
  return {
    result: result as Result<T, PipelineError>,
    events,
    eventsOf: <K extends TipiEventType>(type: K) =>
      events.filter((e): e is EventOf<K> => e.type === type),
  };
}

/** Runs a whole pipeline (joins must be filled) with fake permanences, capturing events. */
export function runPipeline<P extends PipelineLike>(
  pipeline: P,
  input: DefOf<P>["input"],
  options: TestRunOptions<DefOf<P>["perms"]> = {},
): Promise<TestRun<DefOf<P>["state"]>> {
  return execute(pipeline, input, options as TestRunOptions<object>, undefined, undefined);
}

/**
 * Runs one named step (stage, io, join, through or process) on `state`, with the pipeline's
 * permanences (or fakes) around it. Joins elsewhere may stay unfilled.
 */
export function runStep<P extends PipelineLike, const N extends string>(
  pipeline: P,
  name: KnownName<DefOf<P>, N>,
  state: NodeIn<DefOf<P>, N>,
  options: TestRunOptions<DefOf<P>["perms"]> = {},
): Promise<TestRun<NodeOut<DefOf<P>, N>>> {
  const at = indexOf(pipeline, name as string);
  return execute(pipeline, state, options as TestRunOptions<object>, at, at);
}

/**
 * Runs the steps from `from` to `to` (both included; default: the first and the last) on
 * `state`. Hooks of a `through` before `from` still apply.
 */
export function runSlice<
  P extends PipelineLike,
  F extends NodeName<DefOf<P>>,
  T extends NodeName<DefOf<P>>,
>(
  pipeline: P,
  range: { readonly from: F; readonly to: T },
  state: NodeIn<DefOf<P>, F>,
  options: TestRunOptions<DefOf<P>["perms"]> = {},
): Promise<TestRun<NodeOut<DefOf<P>, T>>> {
  const from = indexOf(pipeline, range.from);
  const to = indexOf(pipeline, range.to);
  if (to < from) {
    throw new RangeError(`runSlice: "${range.to}" comes before "${range.from}"`);
  }
  return execute(pipeline, state, options as TestRunOptions<object>, from, to);
}
