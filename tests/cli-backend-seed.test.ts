// End-to-end: the backend the Device chose (and why the others were not) in the output and in
// meta.json; --seed and [pipeline] seed reaching the Hyperparameters instance.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { tipi } from "./fixtures/cli/run-tipi.ts";

const FIXTURE = "tests/fixtures/cli/device-seed";
const scratch = mkdtempSync(join(tmpdir(), "tipi-backend-seed-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const json = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;

/** Runs the fixture with `args` into its own runs root; returns the output and the run's files. */
async function run(name: string, args: string[]) {
  const runs = join(scratch, name);
  // tfjs-node(-gpu) are looked up in an empty folder: what this workspace installed changes nothing
  const r = await tipi(["run", FIXTURE, "--runs", runs, ...args], {
    env: { TIPI_RESOLVE_PATHS: scratch, TIPI_BACKEND: undefined },
  });
  expect(r.code, r.stderr).toBe(0);
  const [id] = readdirSync(join(runs, "device-seed"));
  const dir = join(runs, "device-seed", id ?? "");
  return {
    stdout: r.stdout,
    meta: json(join(dir, "meta.json")),
    config: json(join(dir, "config.json")) as { permanences: Record<string, { seed?: number }> },
    summary: json(join(dir, "summary.json")),
  };
}

describe.concurrent("tipi run with a Device and Hyperparameters", () => {
  test("--seed 7 reaches Hyperparameters.seed; the chosen backend is shown and in meta.json", async () => {
    const { stdout, meta, config, summary } = await run("seed-7", ["--seed", "7"]);
    // the seed the Hyperparameters instance received (reported by the step as a metric)
    expect(summary.seed).toBe(7);
    expect(config.permanences.hyperparameters?.seed).toBe(7);
    expect(meta.seed).toBe(7);

    // neither tfjs-node build is found (TIPI_RESOLVE_PATHS): wasm, with the reason for each other
    expect(stdout).toMatch(
      /^backend: wasm \(.+\) — skipped: tensorflow-gpu \(.*not installed\), tensorflow \(.*not installed\), cpu \(lower priority than wasm\)$/m,
    );
    expect(meta).toMatchObject({
      backendRequested: "auto",
      backend: "wasm",
      backendReason: expect.stringContaining("WebAssembly"),
    });
    expect(meta.backendSkipped).toEqual([
      { backend: "tensorflow-gpu", reason: expect.stringContaining("not installed") },
      { backend: "tensorflow", reason: expect.stringContaining("not installed") },
      { backend: "cpu", reason: "lower priority than wasm" },
    ]);
    expect(summary.backend).toBe("wasm");
  });

  test("[pipeline] seed from a -c file replaces the file's hyperparameters seed", async () => {
    const { summary, config, meta } = await run("seed-11", [
      "-c",
      `${FIXTURE}/seed-11.toml`,
      "--no-progress",
    ]);
    expect(summary.seed).toBe(11);
    expect(config.permanences.hyperparameters?.seed).toBe(11);
    expect(meta.seed).toBe(11);
  });

  test("--set hyperparameters.seed wins over [pipeline] seed, and meta.json says so", async () => {
    const { summary, meta } = await run("seed-5", [
      "-c",
      `${FIXTURE}/seed-11.toml`,
      "--set",
      "hyperparameters.seed=5",
      "--no-progress",
    ]);
    expect(summary.seed).toBe(5);
    expect(meta.seed).toBe(5);
  });

  test("without --seed or [pipeline] seed, the file's hyperparameters seed is used and recorded", async () => {
    const { summary, meta } = await run("no-seed", ["--no-progress"]);
    expect(summary.seed).toBe(42);
    expect(meta.seed).toBe(42);
  });
});
