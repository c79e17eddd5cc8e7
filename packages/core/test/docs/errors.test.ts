// The code shown in docs/errors.md: each #region is one code block, checked by docs-sync.test.ts.
// biome-ignore-all assist/source/organizeImports: imports stay inside the #regions shown in the docs
import { expect, it } from "vitest";

// #region explain
import { installSigintHandler, Pipeline, type PipelineError } from "@tipi/core";
import { match } from "ts-pattern";

/** One line for a terminal, and the exit code a CLI would use. */
function explain(error: PipelineError): { line: string; exitCode: number } {
  return match(error)
    .with({ kind: "step-failed" }, (e) => ({ line: `✖ ${e.step}: ${e.message}`, exitCode: 1 }))
    .with({ kind: "timed-out" }, (e) => ({ line: `⏱ ${e.step} > ${e.timeoutMs} ms`, exitCode: 1 }))
    .with({ kind: "validation-failed" }, (e) => ({
      line: `invalid state at ${e.step}:\n${e.issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`,
      exitCode: 1,
    }))
    .with({ kind: "join-missing" }, (e) => ({
      line: `join "${e.join}" is not provided`,
      exitCode: 2,
    }))
    .with({ kind: "permanence-failed" }, (e) => ({
      line: `${e.permanence} failed to ${e.phase}: ${e.message}`,
      exitCode: 1,
    }))
    .with({ kind: "cancelled" }, () => ({ line: "interrupted", exitCode: 130 }))
    .with({ kind: "cleanup-failed" }, (e) => ({
      line: `cleanup failed: ${e.failures.map((f) => f.permanence).join(", ")}`,
      exitCode: 1,
    }))
    .with({ kind: "hook-failed" }, (e) => ({
      line: `hook ${e.hook} failed after ${e.step}`,
      exitCode: 1,
    }))
    .exhaustive();
}
// #endregion explain

it("explain", async () => {
  // #region run
  const flaky = Pipeline.create().io("download", () => new Promise(() => {}), { timeout: "50ms" });
  const result = await flaky.run();
  if (result.isErr()) console.log(explain(result.error).line); // ⏱ download > 50 ms
  // #endregion run
  expect(explain(result._unsafeUnwrapErr())).toEqual({ line: "⏱ download > 50 ms", exitCode: 1 });
});

it("cancel", async () => {
  // #region cancel
  async function main(): Promise<number> {
    const controller = new AbortController();
    const uninstall = installSigintHandler(controller, {
      onInterrupt: () => console.error("stopping… (Ctrl-C again to force)"),
    });
    const longRun = Pipeline.create().io(
      "wait",
      (_s, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve)),
    );
    setTimeout(() => controller.abort(new Error("demo")), 10); // what Ctrl-C does
    const result = await longRun.run(undefined, { signal: controller.signal });
    uninstall();
    return result.match(
      () => 0,
      (error) => explain(error).exitCode, // 130 for "cancelled"
    );
  }
  // #endregion cancel
  expect(await main()).toBe(130);
});
