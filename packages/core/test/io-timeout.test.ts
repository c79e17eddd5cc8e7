/**
 * `io` timeouts through the shared timer wheel (runtime/deadlines.ts): the attempt's signal
 * and abort reason are made lazily, yet behave as before; deadlines of earlier steps do not
 * delay or fire later ones; a pending timeout never keeps the process alive.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Pipeline } from "../src/index.ts";

const never = () => new Promise<never>(() => {});

describe("io timeout", () => {
  it("aborts ctx.signal with a TimeoutError, whether read before or after it fires", async () => {
    let early: AbortSignal | undefined;
    const r1 = await Pipeline.create()
      .io(
        "reads-first",
        (_s, ctx) => {
          early = ctx.signal;
          return never();
        },
        { timeout: 20 },
      )
      .run();
    expect(r1._unsafeUnwrapErr()).toMatchObject({ kind: "timed-out", timeoutMs: 20 });
    expect(early?.aborted).toBe(true);
    expect(early?.reason).toBeInstanceOf(DOMException);
    expect(early?.reason).toMatchObject({
      name: "TimeoutError",
      message: 'step "reads-first" timed out after 20 ms',
    });

    let late: AbortSignal | undefined;
    const r2 = await Pipeline.create()
      .io(
        "reads-late",
        (_s, ctx) =>
          new Promise<never>((_resolve, reject) => {
            // Reads the signal only after the timeout has fired.
            setTimeout(() => {
              late = ctx.signal;
              reject(new Error("too late"));
            }, 60);
          }),
        { timeout: 20 },
      )
      .run();
    expect(r2._unsafeUnwrapErr().kind).toBe("timed-out");
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(late?.aborted).toBe(true);
    expect(late?.reason).toMatchObject({ name: "TimeoutError" });
  });

  it("times out a step on its own deadline after earlier timed steps finished", async () => {
    const fast = async (n: number) => n + 1;
    const started: number[] = [];
    const p = Pipeline.create<number>()
      .io("a", fast, { timeout: 40 })
      .io("b", fast, { timeout: 40 })
      .io(
        "c",
        async (n: number) => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          return n + 1;
        },
        { timeout: 40 },
      )
      .io(
        "hang",
        () => {
          started.push(performance.now());
          return never();
        },
        { timeout: 40 },
      );
    const r = await p.run(0);
    const elapsed = performance.now() - started[0]!;
    expect(r._unsafeUnwrapErr()).toMatchObject({ kind: "timed-out", step: "hang" });
    // Not early (an earlier step's deadline firing it) and not a whole extra period late.
    expect(elapsed).toBeGreaterThanOrEqual(38);
    expect(elapsed).toBeLessThan(40 + 500);
  });

  it("a cancelled run is cancelled, not timed out, and the step's signal carries the reason", async () => {
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    const running = Pipeline.create()
      .io(
        "wait",
        (_s, ctx) => {
          signal = ctx.signal;
          setTimeout(() => controller.abort("stop"), 10);
          return never();
        },
        { timeout: "1m", retries: 3 },
      )
      .run(undefined, { signal: controller.signal });
    const e = (await running)._unsafeUnwrapErr();
    expect(e.kind).toBe("cancelled");
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe("stop");
  });

  it("does not keep the process alive after the run (a 5-minute timeout, steps done at once)", () => {
    const fixture = join(import.meta.dirname, "fixtures", "long-timeout-pipeline.ts");
    const started = Date.now();
    const child = spawnSync(process.execPath, ["--import", "tsx", fixture], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.stdout.trim()).toBe("done 2");
    expect(child.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
