import { match } from "ts-pattern";
import { describe, expect, it } from "vitest";
import { type Figure, Pipeline, type TipiEvent } from "../src/index.ts";

/** Compiles only while it names every event type (a new one without a branch fails tsc). */
const describeEvent = (event: TipiEvent): string =>
  match(event)
    .with({ type: "run:start" }, (e) => `start ${e.runId}`)
    .with({ type: "run:end" }, (e) => `end ${e.ok}`)
    .with({ type: "step:start" }, { type: "step:end" }, (e) => `${e.type} ${e.step}`)
    .with({ type: "step:retry" }, (e) => `retry ${e.attempt}`)
    .with({ type: "step:error" }, (e) => `error ${e.step}`)
    .with({ type: "hook:error" }, (e) => `hook ${e.hook}`)
    .with({ type: "permanence" }, (e) => `${e.name} ${e.phase}`)
    .with({ type: "progress" }, (e) => `bar ${e.id}`)
    .with({ type: "metric" }, (e) => Object.keys(e.values).join(","))
    .with({ type: "figure" }, (e) => `${e.name}: ${describeFigure(e.figure)}`)
    .with({ type: "log" }, (e) => e.message)
    .exhaustive();

const describeFigure = (figure: Figure): string =>
  match(figure)
    .with({ kind: "confusion-matrix" }, (f) => `${f.labels.length}×${f.matrix.length} matrix`)
    .with({ kind: "table" }, (f) => `${f.rows.length} rows of ${f.columns.join("/")}`)
    .exhaustive();

describe("the figure event", () => {
  it("travels from a step to the run's listeners unchanged, and is matched exhaustively", async () => {
    const events: TipiEvent[] = [];
    const result = await Pipeline.create()
      .io("evaluate", (state, ctx) => {
        ctx.emit({
          type: "figure",
          name: "confusion-matrix",
          figure: {
            kind: "confusion-matrix",
            labels: ["a", "b"],
            matrix: [
              [2, 0],
              [1, 1],
            ],
          },
        });
        ctx.emit({
          type: "figure",
          name: "per-class-accuracy",
          figure: { kind: "table", columns: ["class", "accuracy"], rows: [["a", 1]] },
          step: 3,
        });
        return state;
      })
      .run(undefined, { onEvent: (e) => events.push(e) });
    expect(result.isOk()).toBe(true);
    const figures = events.filter((e) => e.type === "figure");
    expect(figures.map(describeEvent)).toEqual([
      "confusion-matrix: 2×2 matrix",
      "per-class-accuracy: 1 rows of class/accuracy",
    ]);
    expect(figures[1]).toMatchObject({ step: 3 });
  });
});
