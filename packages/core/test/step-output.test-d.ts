/**
 * The state type a step's return produces: `inferStepOutput` tests a plain state once and
 * unwraps only thenables and neverthrow results (a cheaper form than `Awaited` on every
 * step, issue 12 item 11). It must give what awaiting and unwrapping would give.
 */
import type { Err, Ok, Result, ResultAsync } from "neverthrow";
import { describe, expectTypeOf, it } from "vitest";
import type { inferStepOutput } from "../src/types/step.ts";

interface State {
  n: number;
}
/** A thenable that is not a `Promise` (awaiting it gives a `State`). */
interface Thenable {
  then(onfulfilled: (value: State) => void): void;
}

describe("inferStepOutput", () => {
  it("keeps a plain state, primitives and functions as they are", () => {
    expectTypeOf<inferStepOutput<State>>().toEqualTypeOf<State>();
    expectTypeOf<inferStepOutput<string>>().toEqualTypeOf<string>();
    expectTypeOf<inferStepOutput<State[]>>().toEqualTypeOf<State[]>();
    expectTypeOf<inferStepOutput<() => void>>().toEqualTypeOf<() => void>();
    expectTypeOf<inferStepOutput<{ then: string }>>().toEqualTypeOf<{ then: string }>();
    expectTypeOf<inferStepOutput<undefined>>().toEqualTypeOf<undefined>();
  });

  it("unwraps promises, thenables and results, nested or in unions", () => {
    expectTypeOf<inferStepOutput<Promise<State>>>().toEqualTypeOf<State>();
    expectTypeOf<inferStepOutput<Promise<Promise<State>>>>().toEqualTypeOf<State>();
    expectTypeOf<inferStepOutput<Thenable>>().toEqualTypeOf<State>();
    expectTypeOf<inferStepOutput<Result<State, Error>>>().toEqualTypeOf<State>();
    expectTypeOf<inferStepOutput<Ok<State, never>>>().toEqualTypeOf<State>();
    expectTypeOf<inferStepOutput<Err<never, string>>>().toEqualTypeOf<never>();
    expectTypeOf<inferStepOutput<ResultAsync<State, Error>>>().toEqualTypeOf<State>();
    expectTypeOf<inferStepOutput<Promise<Result<State, string>>>>().toEqualTypeOf<State>();
    expectTypeOf<inferStepOutput<State | Promise<State>>>().toEqualTypeOf<State>();
    expectTypeOf<inferStepOutput<State | Result<string, Error>>>().toEqualTypeOf<State | string>();
  });

  it("passes unknown and never through", () => {
    expectTypeOf<inferStepOutput<unknown>>().toEqualTypeOf<unknown>();
    expectTypeOf<inferStepOutput<never>>().toEqualTypeOf<never>();
  });
});
