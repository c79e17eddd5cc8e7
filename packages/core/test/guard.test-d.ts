import { err, errAsync, type Ok, ok } from "neverthrow";
import { describe, expectTypeOf, it } from "vitest";
import {
  type Guard,
  type GuardedStep,
  type GuardInfo,
  type GuardNext,
  type GuardReturn,
  type NextResult,
  Pipeline,
} from "../src/index.ts";

declare const isMain: boolean;

describe("guards must return next()", () => {
  it("accepts a guard that returns next(state, ctx), sync or async", () => {
    const sync: Guard = (next) => (state, ctx) => next(state, ctx);
    const awaited: Guard = (next) => async (state, ctx) => {
      const out = await next(state, ctx);
      expectTypeOf(out).toEqualTypeOf<NextResult>();
      return out;
    };
    expectTypeOf(sync).toEqualTypeOf<Guard>();
    expectTypeOf<Parameters<Guard>[0]>().toEqualTypeOf<GuardNext>();
    expectTypeOf<ReturnType<GuardNext>>().toEqualTypeOf<NextResult>();
    expectTypeOf<ReturnType<Guard>>().toEqualTypeOf<GuardedStep>();
    expectTypeOf(
      Pipeline.create<number>()
        .guard(sync, awaited)
        .stage("a", (n) => n + 1),
    )
      .toHaveProperty("run")
      .toBeFunction();
  });

  it("accepts info.skip() instead of next(), sync or async", () => {
    const mainProcessOnly: Guard = (next, info) => (state, ctx) =>
      isMain ? next(state, ctx) : info.skip();
    const asyncSkip: Guard = (next, info) => async (state, ctx) =>
      isMain ? next(state, ctx) : info.skip();
    expectTypeOf([mainProcessOnly, asyncSkip]).items.toEqualTypeOf<Guard>();
    expectTypeOf<ReturnType<GuardInfo["skip"]>>().toEqualTypeOf<NextResult>();
  });

  it("accepts an err(...) instead of next(), sync or async", () => {
    const mainOnly: Guard = (next) => (state, ctx) =>
      isMain ? next(state, ctx) : err(new Error("not the main process"));
    const asyncRefusal: Guard = (next) => async (state, ctx) =>
      isMain ? next(state, ctx) : err("refused");
    const resultAsync: Guard = () => () => errAsync("refused");
    expectTypeOf([mainOnly, asyncRefusal, resultAsync]).items.toEqualTypeOf<Guard>();
    expectTypeOf(err("x")).toExtend<GuardReturn>();
    expectTypeOf(errAsync("x")).toExtend<GuardReturn>();
  });

  it("rejects a guard that returns the state, nothing, an ok(...) or a forged value", () => {
    // @ts-expect-error: returns the state instead of next(state, ctx)
    const returnsState: Guard = () => (state) => state;
    // @ts-expect-error: calls next but forgets to return it
    const forgetsReturn: Guard = (next) => (state, ctx) => {
      next(state, ctx);
    };
    // @ts-expect-error: an async guard that forgets to return next
    const asyncForgets: Guard = (next) => async (state, ctx) => {
      await next(state, ctx);
    };
    // @ts-expect-error: skipping with the state unchanged is not a way out of a guard
    const skips: Guard = (next) => (state, ctx) => (isMain ? next(state, ctx) : state);
    // @ts-expect-error: only an Err short-circuits; an Ok would skip the step
    const okInstead: Guard = () => (state) => ok(state);
    // @ts-expect-error: a look-alike object does not carry the brand
    const forged: Guard = () => () => ({ value: 1 });
    void [returnsState, forgetsReturn, asyncForgets, skips, okInstead, forged];

    type StateOnly = (state: unknown) => unknown;
    type Nothing = (state: unknown) => void;
    type AsyncNothing = (state: unknown) => Promise<void>;
    type OkStep = (state: unknown) => Ok<unknown, never>;
    expectTypeOf<StateOnly>().not.toExtend<GuardedStep>();
    expectTypeOf<Nothing>().not.toExtend<GuardedStep>();
    expectTypeOf<AsyncNothing>().not.toExtend<GuardedStep>();
    expectTypeOf<OkStep>().not.toExtend<GuardedStep>();
    expectTypeOf<{ epoch: number }>().not.toExtend<GuardReturn>();
    expectTypeOf<undefined>().not.toExtend<GuardReturn>();
    expectTypeOf<NextResult>().toExtend<GuardReturn>();
  });

  it("rejects such a guard where .guard() and the guards option take it", () => {
    const p = Pipeline.create<number>();
    // @ts-expect-error: returns the state instead of next(state, ctx)
    p.guard(() => (state) => state);
    // @ts-expect-error: forgets to return next(state, ctx)
    p.stage("a", (n) => n, { guards: [(next) => (s, ctx) => void next(s, ctx)] });
  });
});
