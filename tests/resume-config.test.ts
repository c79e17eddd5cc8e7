// `tipi run --resume` restores the config of the run it resumes; changes need --allow-changes.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { BIN, REPO, tipi } from "./fixtures/cli/run-tipi.ts";

const BASIC = "tests/fixtures/cli/basic";
const scratch = mkdtempSync(join(tmpdir(), "tipi-resume-config-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const json = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
const steps = (dir: string) =>
  readFileSync(join(dir, "history.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { step: number }).step);

describe("--resume restores the run's config", () => {
  const dir = join(scratch, "run");

  test("a resume without flags uses the saved -c files, overrides and seed", async () => {
    const first = await tipi([
      "run",
      BASIC,
      "--run-dir",
      dir,
      "-c",
      "tests/fixtures/cli/overlay.toml",
      "--set",
      "train.epochs=3",
      "--seed",
      "7",
      "--no-progress",
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(json(join(dir, "meta.json")).recipe).toEqual({
      configFiles: [join(REPO, "tests/fixtures/cli/overlay.toml")],
      set: ["train.epochs=3"],
      seed: 7,
    });
    const config = readFileSync(join(dir, "config.json"), "utf8");

    const resumed = await tipi(["run", BASIC, "--resume", dir, "--no-progress"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    // The overlay's text, 3 epochs: the saved config, not the file's own (2 epochs, "hello…").
    expect(resumed.stdout).toContain("from the overlay");
    expect(readFileSync(join(dir, "config.json"), "utf8")).toBe(config);
    // The replayed epochs are not logged twice.
    expect(steps(dir)).toEqual([4, 8, 12]);
    expect(json(join(dir, "meta.json")).resumes).toHaveLength(1);
  });

  test("flags that change the config are refused with every differing key (exit 2)", async () => {
    const r = await tipi([
      "run",
      BASIC,
      "--resume",
      dir,
      "--set",
      "train.epochs=4",
      "--seed",
      "8",
      "--no-progress",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the config differs from the run being resumed");
    expect(r.stderr).toContain("processes.train.epochs: 3 → 4");
    expect(r.stderr).toContain("pipeline.seed: 7 → 8");
    expect(r.stderr).toContain("--allow-changes");
    expect(r.stdout).toBe("");
    expect(json(join(dir, "meta.json")).resumes).toHaveLength(1);
  });

  test("harmless flags, and the same values again, are accepted", async () => {
    const r = await tipi([
      "run",
      BASIC,
      "--resume",
      dir,
      "--json",
      "--set",
      "train.epochs=3",
      "--seed",
      "7",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(steps(dir)).toEqual([4, 8, 12]);
  });

  test("--allow-changes continues with the new values and records them", async () => {
    const r = await tipi([
      "run",
      BASIC,
      "--resume",
      dir,
      "--set",
      "train.epochs=4",
      "--allow-changes",
      "--no-progress",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(steps(dir)).toEqual([4, 8, 12, 16]);
    // W&B's _step is the row's _index: each once, in order.
    const indices = readFileSync(join(dir, "history.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { _index: number })._index);
    expect(indices).toEqual([0, 1, 2, 3]);
    const config = json(join(dir, "config.json")) as { processes: { train: { epochs: number } } };
    expect(config.processes.train.epochs).toBe(4);
    const meta = json(join(dir, "meta.json")) as { resumes: { changed?: string[] }[] };
    expect(meta.resumes.at(-1)?.changed).toEqual(["processes.train.epochs"]);
    // The allowed change is part of the run's config from now on.
    const again = await tipi(["run", BASIC, "--resume", dir, "--no-progress"]);
    expect(again.code, again.stderr).toBe(0);
  });

  test("a module pipeline: a different --seed is refused", async () => {
    const moduleDir = join(scratch, "module-run");
    const args = ["run", "tests/fixtures/cli/module", "--run-dir", moduleDir, "--no-progress"];
    expect((await tipi([...args, "--seed", "1"])).code).toBe(0);
    const r = await tipi([
      ...args.filter((a) => a !== "--run-dir" && a !== moduleDir),
      "--resume",
      moduleDir,
      "--seed",
      "2",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("seed: 1 → 2");
  });
});

describe("the interrupt line's resume command", () => {
  test("works as printed, with another --runs root", async () => {
    const root = join(scratch, "other-runs");
    const child = spawn(
      process.execPath,
      [
        BIN,
        "run",
        BASIC,
        "--runs",
        root,
        "--set",
        "train.delay_ms=50",
        "--set",
        "train.batches=20",
      ],
      { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true" } },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.once("data", () => setTimeout(() => child.kill("SIGINT"), 200));
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code, stderr).toBe(130);
    const hint = /resume: (npx tipi run .+)$/m.exec(stderr)?.[1];
    expect(hint).toMatch(new RegExp(`^npx tipi run ${BASIC} --runs \\S+ --resume \\S+$`));
    // Run it as printed: no --set, so the saved 20 batches of 50 ms are restored.
    const resumed = await tipi(hint!.split(" ").slice(2), { timeoutMs: 30_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/finished/);
  }, 30_000);
});
