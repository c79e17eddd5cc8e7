// The code shown in docs/permanences.md: each #region is one code block, checked by docs-sync.test.ts.
// biome-ignore-all assist/source/organizeImports: imports stay inside the #regions shown in the docs
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { expect, it } from "vitest";

// #region class
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type LifecycleContext, type Permanence, Pipeline } from "@tipi/core";

/** Counts processed items; checkpoints the count; cleanup closes its "connection". */
class Counter implements Permanence {
  count = 0;
  open = false;
  readonly log: string[] = [];

  initialize() {
    this.open = true;
    this.log.push("initialize");
  }
  validate() {
    if (!this.open) throw new Error("counter is not open");
    this.log.push("validate");
  }
  async checkpoint(ctx: LifecycleContext) {
    this.log.push(`checkpoint (${ctx.reason})`);
    if (ctx.runDir) await writeFile(join(ctx.runDir, "counter.json"), JSON.stringify(this.count));
  }
  cleanup() {
    this.open = false;
    this.log.push("cleanup");
  }
}
// #endregion class

it("lifecycle", async () => {
  const runDir = mkdtempSync(join(tmpdir(), "tipi-doc-"));
  // #region provide
  const counter = new Counter();
  const pipeline = Pipeline.create<string[]>()
    .provide({ counter: () => counter })
    .provide({ report: (deps) => ({ line: () => `${deps.get("counter").count} items` }) })
    .stage(
      "count",
      (items, ctx) => {
        ctx.get("counter").count += items.length;
        return items;
      },
      { checkpoint: true },
    )
    .stage("summary", (_items, ctx) => ctx.get("report").line());

  const result = await pipeline.run(["a", "b"], { runDir });
  // result: Ok("2 items")
  // counter.log: ["initialize", "validate", "checkpoint (step)", "cleanup"]
  // #endregion provide
  expect(result._unsafeUnwrap()).toBe("2 items");
  expect(counter.log).toEqual(["initialize", "validate", "checkpoint (step)", "cleanup"]);
  expect(readFileSync(join(runDir, "counter.json"), "utf8")).toBe("2");
});

it("failure", async () => {
  // #region failure
  const order: string[] = [];
  const tracked = (name: string) => ({ cleanup: () => void order.push(name) });
  const failing = Pipeline.create()
    .provide({ device: () => tracked("device"), data: () => tracked("data") })
    .provide({ logger: () => tracked("logger") })
    .stage("train", () => {
      throw new Error("NaN loss");
    });
  const failed = await failing.run(undefined, { cleanupTimeoutMs: 5_000 });
  // failed.error.kind === "step-failed"; order: ["logger", "data", "device"]
  // #endregion failure
  expect(failed._unsafeUnwrapErr().kind).toBe("step-failed");
  expect(order).toEqual(["logger", "data", "device"]);
});
