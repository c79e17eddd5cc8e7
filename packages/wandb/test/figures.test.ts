import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TipiEvent } from "@tipi/core";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { RunStore, readJsonl, WandBLogger } from "../src/index.ts";
import { tempRoot } from "./wandb-helpers.ts";

const confusion: TipiEvent = {
  type: "figure",
  name: "confusion-matrix",
  figure: {
    kind: "confusion-matrix",
    labels: ["cat", "dog", "bird"],
    matrix: [
      [3, 1, 0],
      [0, 4, 0],
      [1, 1, 2],
    ],
  },
};
const table: TipiEvent = {
  type: "figure",
  name: "per-class-accuracy",
  figure: {
    kind: "table",
    columns: ["class", "accuracy", "count"],
    rows: [
      ["cat", 0.75, 4],
      ["dog", 1, 4],
      ["bird", 0.5, 4],
    ],
  },
};

const json = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

describe("figure events in the run store", () => {
  it("become media/<name>.json, a PNG heat map for a confusion matrix, and summary entries", () => {
    const store = RunStore.create({ root: tempRoot(), pipeline: "p", config: {} });
    const listen = store.listener();
    listen(confusion);
    listen(table);
    listen({ type: "run:end", runId: store.runId, ok: true, durationMs: 1 });

    const media = join(store.dir, "media");
    expect(json(join(media, "confusion-matrix.json"))).toEqual(
      confusion.type === "figure" && confusion.figure,
    );
    expect(json(join(media, "per-class-accuracy.json"))).toEqual(
      table.type === "figure" && table.figure,
    );
    expect(existsSync(join(media, "per-class-accuracy.png"))).toBe(false);

    const png = PNG.sync.read(readFileSync(join(media, "confusion-matrix.png")));
    // 16 pixels per cell, 3×3 cells; grey expanded to RGBA by pngjs.
    expect([png.width, png.height]).toEqual([48, 48]);
    const shade = (actual: number, predicted: number) =>
      png.data[((actual * 16 + 8) * 48 + predicted * 16 + 8) * 4];
    expect(shade(1, 1)).toBe(255); // every dog predicted dog
    expect(shade(0, 0)).toBe(Math.round((255 * 3) / 4));
    expect(shade(2, 2)).toBe(Math.round((255 * 2) / 4));
    expect(shade(1, 0)).toBe(0);

    expect(json(join(store.dir, "summary.json"))).toMatchObject({
      "confusion-matrix": {
        _type: "confusion_matrix",
        path: "media/confusion-matrix.json",
        image: "media/confusion-matrix.png",
      },
      "per-class-accuracy": { _type: "table", path: "media/per-class-accuracy.json" },
    });
    const events = readJsonl<TipiEvent>(join(store.dir, "events.jsonl"));
    expect(
      events.filter((e) => e.type === "figure").map((e) => e.type === "figure" && e.name),
    ).toEqual(["confusion-matrix", "per-class-accuracy"]);
  });

  it("with a step, name the files <name>_<step>", () => {
    const store = RunStore.create({ root: tempRoot(), pipeline: "p", config: {} });
    store.listener()({ ...table, step: 7 } as TipiEvent);
    expect(existsSync(join(store.dir, "media", "per-class-accuracy_7.json"))).toBe(true);
  });

  it("reach a WandBLogger's run directory through its listener, stored as logConfusionMatrix stores", () => {
    const logger = new WandBLogger({ mode: "disabled", root: tempRoot(), pipeline: "p" });
    logger.initialize();
    logger.listener()(confusion);
    const direct = logger.logConfusionMatrix(
      "direct",
      confusion.type === "figure" && confusion.figure.kind === "confusion-matrix"
        ? confusion.figure.matrix
        : [],
      ["cat", "dog", "bird"],
    );
    const media = join(logger.runDir, "media");
    expect(json(join(logger.runDir, direct))).toEqual(json(join(media, "confusion-matrix.json")));
    expect(readFileSync(join(media, "direct.png"))).toEqual(
      readFileSync(join(media, "confusion-matrix.png")),
    );
  });
});
