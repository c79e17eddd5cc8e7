// Run and sweep directories for the report and dashboard tests, written by the real RunStore
// (the format `tipi run` writes), plus the damaged kinds a report must survive.
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RunStore } from "../packages/wandb/src/index.ts";

export const LABELS = ["T-shirt", "Trouser", "Pullover"];
export const MATRIX = [
  [50, 3, 7],
  [2, 55, 3],
  [9, 1, 40],
];

/** A finished run: 3 epochs of 4 steps, batch and epoch rows, a test row, a confusion matrix. */
export function writeFinishedRun(
  root: string,
  options: {
    pipeline?: string;
    runId?: string;
    lr?: number;
    seed?: number;
    epochs?: number;
    testAccuracy?: number;
  } = {},
): { dir: string; summary: Record<string, unknown> } {
  const lr = options.lr ?? 0.01;
  const epochs = options.epochs ?? 3;
  const store = RunStore.create({
    root,
    pipeline: options.pipeline ?? "demo",
    runId: options.runId ?? "20261202-010101-abcd",
    config: {
      pipeline: { name: options.pipeline ?? "demo", logger: "local", seed: options.seed ?? 7 },
      permanences: {
        hyperparameters: { type: "Hyperparameters", epochs, learningRate: lr, batchSize: 32 },
        device: { type: "Device", backend: "auto" },
      },
      processes: { train: { type: "TrainingProcess" } },
    },
    meta: {
      tipi: "0.1.0",
      tfjs: "4.22.0",
      seed: options.seed ?? 7,
      argv: [
        "tipi",
        "run",
        "examples/demo",
        "--seed",
        String(options.seed ?? 7),
        "--set",
        `hyperparameters.epochs=${epochs}`,
        `learningRate=${lr}`,
      ],
      backend: "wasm",
      backendReason: "WebAssembly backend with tipi's training kernels",
    },
  });
  const t0 = Date.parse("2026-12-02T01:01:01Z");
  store.appendEvent({ type: "step:start", step: "train", index: 0, total: 1 });
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let s = 1; s <= 4; s++) {
      const step = epoch * 4 + s;
      const loss = 2 * Math.exp(-step * lr * 10) + 0.1;
      store.appendHistory({
        step,
        epoch,
        time: t0 + step * 50,
        values: { "train/loss": loss, "train/accuracy": 1 - loss / 2.2, lr: lr * (1 - step / 20) },
      });
    }
    store.appendHistory({
      step: (epoch + 1) * 4,
      epoch,
      time: t0 + (epoch + 1) * 200 + 10,
      values: {
        "val/loss": 1.5 - epoch * (0.2 + lr * 5),
        "val/accuracy": 0.5 + epoch * (0.05 + lr * 3),
      },
    });
  }
  store.appendEvent({ type: "step:end", step: "train", index: 0, total: 1, durationMs: 812 });
  store.appendHistory({
    values: { "test/accuracy": options.testAccuracy ?? 0.8123, "test/loss": 0.4567 },
  });
  store.storeFigure("confusion-matrix", {
    kind: "confusion-matrix",
    labels: LABELS,
    matrix: MATRIX,
  });
  mkdirSync(store.checkpointDir, { recursive: true });
  writeFileSync(join(store.checkpointDir, "step-000000000012.ckpt"), Buffer.alloc(2048));
  store.setStatus("finished");
  store.close();
  const summary = JSON.parse(readFileSync(join(store.dir, "summary.json"), "utf8")) as Record<
    string,
    unknown
  >;
  return { dir: store.dir, summary };
}

/**
 * A run killed mid-write: `status.json` still says running (for a pid that is gone), the last
 * history line is torn, and there is no summary.json, events.jsonl or media.
 */
export function writeCrashedRun(root: string): string {
  const store = RunStore.create({
    root,
    pipeline: "demo",
    runId: "20261202-020202-dead",
    config: { pipeline: { name: "demo" } },
    meta: { argv: ["tipi", "run", "examples/demo"], backend: "wasm" },
  });
  store.appendHistory({ step: 1, epoch: 0, values: { "train/loss": 2.1 } });
  store.appendHistory({ step: 2, epoch: 0, values: { "train/loss": 1.9 } });
  store.close();
  const dir = store.dir;
  appendFileSync(join(dir, "history.jsonl"), '{"_index":2,"step":3,"values":{"train/lo');
  writeFileSync(
    join(dir, "status.json"),
    JSON.stringify({ status: "running", updatedAt: "2026-12-02T02:02:05.000Z", pid: 2 ** 22 + 7 }),
  );
  for (const file of ["summary.json", "events.jsonl"]) rmSync(join(dir, file), { force: true });
  return dir;
}

/** A run directory as an older tipi wrote it: flat history rows, the old confusion-matrix JSON. */
export function writeOlderRun(dir: string): string {
  mkdirSync(join(dir, "media"), { recursive: true });
  writeFileSync(
    join(dir, "meta.json"),
    JSON.stringify({ runId: "old", pipeline: "legacy", createdAt: "2026-11-01T10:00:00.000Z" }),
  );
  writeFileSync(
    join(dir, "history.jsonl"),
    `${[1, 2, 3].map((step) => JSON.stringify({ _step: step, loss: 1 / step, acc: step / 4 })).join("\n")}\n`,
  );
  writeFileSync(
    join(dir, "media", "confusion.json"),
    JSON.stringify({
      type: "confusion_matrix",
      labels: ["a", "b"],
      matrix: [
        [3, 1],
        [0, 4],
      ],
    }),
  );
  return dir;
}

/**
 * A finished sweep of 4 trials maximising val/accuracy: trial-0003 was stopped by hyperband
 * after 1 iteration, trial-0004 failed before logging anything.
 */
export function writeSweep(dir: string): { dir: string; best: string } {
  const trials = [
    { id: "trial-0001", lr: 0.001, bs: 32, curve: [0.5, 0.6, 0.7], status: "finished" },
    { id: "trial-0002", lr: 0.01, bs: 64, curve: [0.55, 0.7, 0.82], status: "finished" },
    { id: "trial-0003", lr: 0.1, bs: 32, curve: [0.2], status: "stopped" },
    { id: "trial-0004", lr: 0.003, bs: 64, curve: [], status: "failed" },
  ];
  mkdirSync(join(dir, "trials"), { recursive: true });
  for (const t of trials) {
    const store = RunStore.create({
      root: dir,
      pipeline: "demo",
      dir: join(dir, "trials", t.id),
      config: {},
      meta: { backend: "wasm" },
    });
    t.curve.forEach((v, i) => {
      store.appendHistory({ step: (i + 1) * 4, epoch: i, values: { "val/accuracy": v } });
    });
    store.setStatus(
      t.status === "failed" ? "failed" : t.status === "stopped" ? "interrupted" : "finished",
    );
    store.close();
  }
  const state = {
    version: 1,
    pipeline: "examples/demo",
    seed: 1,
    method: "random",
    metric: { name: "val/accuracy", goal: "maximize" },
    config: {
      name: "lr",
      method: "random",
      metric: { name: "val/accuracy", goal: "maximize" },
      parameters: {
        "hyperparameters.learningRate": { distribution: "log_uniform_values", min: 1e-4, max: 0.1 },
        "hyperparameters.batchSize": { values: [32, 64] },
        "hyperparameters.epochs": { value: 3 },
      },
      early_terminate: { type: "hyperband", min_iter: 1, eta: 2 },
    },
    status: "finished",
    createdAt: "2026-12-02T03:00:00.000Z",
    updatedAt: "2026-12-02T03:05:00.000Z",
    trials: trials.map((t, index) => ({
      id: t.id,
      index,
      params: {
        "hyperparameters.learningRate": t.lr,
        "hyperparameters.batchSize": t.bs,
        "hyperparameters.epochs": 3,
      },
      status: t.status,
      iterations: t.curve.length,
      attempts: 1,
      startedAt: `2026-12-02T03:0${index}:00.000Z`,
      endedAt: `2026-12-02T03:0${index}:30.000Z`,
      ...(t.curve.length ? { metric: t.curve.at(-1) } : {}),
      ...(t.status === "stopped" ? { reason: "hyperband: below the top 1/2 at iteration 1" } : {}),
      ...(t.status === "failed" ? { reason: "exit code 1: out of memory", exitCode: 1 } : {}),
    })),
  };
  writeFileSync(join(dir, "sweep.json"), `${JSON.stringify(state, null, 2)}\n`);
  return { dir, best: "trial-0002" };
}
