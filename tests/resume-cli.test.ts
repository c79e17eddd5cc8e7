import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const tipi = join(root, "packages/cli/dist/bin.js");

/**
 * The example's TOML pipeline, tiny: 512 samples (8 batches an epoch), 2 epochs, a periodic
 * checkpoint every 5 steps, the small CNN on wasm (about 60 ms a batch, so an interrupt lands
 * where it is sent).
 */
const pipelineArgs = [
  "run",
  join(root, "examples/fashion-mnist/pipeline.toml"),
  "--set",
  "hyperparameters.epochs=2",
  "--set",
  "hyperparameters.checkpointEvery=5",
  "--set",
  "data.trainLimit=512",
  "--set",
  "data.testLimit=200",
  "--set",
  "device.backend=wasm",
];

interface Event {
  readonly type: string;
  readonly [key: string]: unknown;
}

interface Exit {
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs `tipi` with `argv`; `onEvent` sees each `--json` event and may call `interrupt()`. */
function tipiRun(
  argv: readonly string[],
  onEvent?: (event: Event, interrupt: () => void) => void,
  signal: NodeJS.Signals = "SIGINT",
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tipi, ...argv], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let sent = false;
    const interrupt = () => {
      if (sent) return;
      sent = true;
      child.kill(signal);
    };
    let pending = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (onEvent === undefined) return;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.startsWith("{")) onEvent(JSON.parse(line) as Event, interrupt);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

const batchAt = (event: Event, epoch: number, atLeast: number) =>
  event.type === "progress" &&
  event.id === `train:batch:${epoch}` &&
  typeof event.current === "number" &&
  event.current >= atLeast;

/** Where each run is interrupted: the first event for which `when` holds. */
const POINTS: readonly {
  name: string;
  when: (event: Event) => boolean;
  signal?: NodeJS.Signals;
}[] = [
  {
    name: "as training starts, before its first batch",
    when: (e) => e.type === "step:start" && e.step === "train",
  },
  {
    name: "in the first batches, before the first periodic checkpoint",
    when: (e) => batchAt(e, 0, 1),
  },
  { name: "mid-epoch, after a periodic checkpoint", when: (e) => batchAt(e, 0, 6) },
  { name: "at the end of the first epoch", when: (e) => batchAt(e, 0, 8) },
  // SIGTERM (a scheduler, a sweep stopping a trial) is handled like Ctrl-C.
  { name: "in the second epoch, by SIGTERM", when: (e) => batchAt(e, 1, 3), signal: "SIGTERM" },
];

const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8");

/** `history.jsonl` without its wall-clock times. */
const history = (dir: string) =>
  read(dir, "history.jsonl")
    .trim()
    .split("\n")
    .map((line) => {
      const { step, epoch, values } = JSON.parse(line) as Record<string, unknown>;
      return { step, epoch, values };
    });

/** Every number after `prefix` in the run's log events. */
const loggedSteps = (dir: string, prefix: string) =>
  read(dir, "events.jsonl")
    .split("\n")
    .flatMap((line) => {
      const m = new RegExp(`"${prefix} (\\d+)`).exec(line);
      return m ? [Number(m[1])] : [];
    });

/** The printed resume hint, run as printed (`npx tipi` is the built CLI). */
function resumeHint(stderr: string): string[] {
  const hint = /resume: (npx tipi run .+)$/m.exec(stderr)?.[1];
  expect(hint, stderr).toBeDefined();
  const words = hint!.split(" ");
  expect(words.slice(0, 2)).toEqual(["npx", "tipi"]);
  return words.slice(2);
}

describe("tipi run, SIGINT (and SIGTERM) at five points, then the printed resume command", () => {
  it("checkpoints where it stopped and finishes bit-identical to an uninterrupted run", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "tipi-resume-cli-"));
    const straightDir = join(scratch, "straight");
    const dirs = POINTS.map((_, i) => join(scratch, `interrupted-${i}`));

    const [straight, ...interrupted] = await Promise.all([
      tipiRun([...pipelineArgs, "--run-dir", straightDir, "--no-progress"]),
      ...POINTS.map((point, i) =>
        tipiRun(
          [...pipelineArgs, "--run-dir", dirs[i]!, "--json"],
          (event, interrupt) => {
            if (point.when(event)) interrupt();
          },
          point.signal,
        ),
      ),
    ]);
    expect(straight.code, straight.stderr).toBe(0);
    const stops = interrupted.map((run, i) => {
      const dir = dirs[i]!;
      expect(run.code, `${POINTS[i]!.name}: ${run.stderr}`).toBe(130);
      expect(JSON.parse(read(dir, "status.json")).status).toBe("interrupted");
      expect(existsSync(join(dir, "model", "weights.ckpt"))).toBe(false);
      return loggedSteps(dir, "interrupted at step");
    });
    // Each interrupt during training wrote a checkpoint of the step it stopped at; one that came
    // while the train step was still loading found nothing to save, and its resume starts at 0.
    expect(stops[0]!.length, POINTS[0]!.name).toBeLessThanOrEqual(1);
    for (const [i, steps] of stops.entries()) {
      if (i === 0 && steps.length === 0) continue;
      expect(steps, POINTS[i]!.name).toHaveLength(1);
      const files = readdirSync(join(dirs[i]!, "checkpoints"));
      expect(files).toContain(`step-${String(steps[0]).padStart(12, "0")}.ckpt`);
    }
    expect(stops[0]![0] ?? 0, "stopped before step 5's periodic checkpoint").toBeLessThan(5);
    expect(stops[1]![0], "stopped before step 5's periodic checkpoint").toBeLessThan(5);
    expect(stops[2]![0]).toBeGreaterThan(5);

    // Resume each with the command it printed: no --set given, so the run's config is restored.
    const resumed = await Promise.all(interrupted.map((run) => tipiRun(resumeHint(run.stderr))));
    const weights = readFileSync(join(straightDir, "model", "weights.bin"));
    for (const [i, run] of resumed.entries()) {
      const dir = dirs[i]!;
      expect(run.code, `${POINTS[i]!.name}: ${run.stderr}`).toBe(0);
      expect(loggedSteps(dir, "resuming from step")).toEqual(stops[i]);
      if (stops[i]!.length === 0) expect(read(dir, "events.jsonl")).toContain("starts at step 0");
      expect(readFileSync(join(dir, "model", "weights.bin")).equals(weights), POINTS[i]!.name).toBe(
        true,
      );
      // Every step logged once, with the values of the uninterrupted run.
      expect(history(dir), POINTS[i]!.name).toEqual(history(straightDir));
    }
  });
});
