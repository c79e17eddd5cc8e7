#!/usr/bin/env node
/**
 * Proves tipi's CUDA path on a machine with an NVIDIA GPU, with the real
 * @tensorflow/tfjs-node-gpu@4.22.0 (its install script run, CUDA 11.2 + cuDNN 8.1 on the loader
 * path). The same cases the fake-addon test covers (packages/tfjs/test/backend-tfjs-node-gpu.test.ts),
 * each in its own process because libtensorflow reads its environment once, at load:
 *
 *   gpu        auto picks tensorflow-gpu, TensorFlow confirms a GPU, and the process shows up in
 *              nvidia-smi on the very GPU tipi reports
 *   user-cvd   CUDA_VISIBLE_DEVICES=<nvidia-smi's last index>: that GPU is reported and used
 *   hidden     CUDA_VISIBLE_DEVICES="": tensorflow-gpu skipped without loading, the value kept
 *   growth     VRAM this process holds after a 256 MiB tensor, with memory growth (tipi's
 *              default) and without (TF_FORCE_GPU_ALLOW_GROWTH=false)
 *   train      the default CNN trained for --steps steps at --batch on tensorflow-gpu, then on
 *              wasm: samples/s of each (every kernel must run natively, or training throws)
 *   replicas   with 2 GPUs or more: the same training with workers = "auto" (one replica
 *              process a GPU; docs/training.md, "Several GPUs"): the replica count, each
 *              process on a GPU of its own in nvidia-smi, samples/s against the 1-GPU run
 *
 * Usage: pnpm build && node scripts/gpu-check.mjs [--steps 100] [--batch 128] [--only gpu,hidden]
 * tfjs-node-gpu is looked up as tipi does (beside @tipi/tfjs, the working directory, or
 * TIPI_RESOLVE_PATHS). Prints one line per case and exits 1 if any fails.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    case: { type: "string" },
    steps: { type: "string", default: "100" },
    batch: { type: "string", default: "128" },
    only: { type: "string" },
  },
});
const steps = Number(values.steps);
const batch = Number(values.batch);
const TF_VARS = [
  "CUDA_VISIBLE_DEVICES",
  "CUDA_DEVICE_ORDER",
  "TF_FORCE_GPU_ALLOW_GROWTH",
  "TIPI_BACKEND",
];

if (values.case) {
  const result = await runCase(values.case);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

// ---- parent: run every case in a child and judge it ----
const tipi = await import("@tipi/tfjs");
const query = await tipi.queryGpus();
if (query.isErr()) {
  console.error(`gpu-check: no GPU here (${query.error})`);
  process.exit(2);
}
const gpus = query.value;
const last = gpus.at(-1);
console.log(
  `GPUs: ${gpus.map((g) => `${g.index} ${g.name} ${g.uuid} (${g.freeMiB}/${g.totalMiB} MiB free)`).join("; ")}`,
);
const missing = await tipi.missingCudaLibraries();
console.log(`CUDA 11 / cuDNN 8 libraries missing: ${missing.length ? missing.join(", ") : "none"}`);

const checks = [
  [
    "gpu",
    {},
    (r) => {
      const on = r.apps?.find((a) => a.pid === r.pid);
      const ok = r.choice?.name === "tensorflow-gpu" && (!on || on.gpuUuid === r.choice.gpu?.uuid);
      const why = r.choice?.skipped.find((s) => s.backend === "tensorflow-gpu")?.reason;
      const what =
        r.choice?.name === "tensorflow-gpu"
          ? r.choice.reason
          : `${r.choice?.name ?? r.error}; tensorflow-gpu skipped: ${why}`;
      const where = on ? on.gpuUuid : "(pid not listed: another pid namespace?)";
      return [ok, `${what}; nvidia-smi shows this pid on ${where}`];
    },
  ],
  [
    "user-cvd",
    { CUDA_VISIBLE_DEVICES: String(last.index) },
    (r) => {
      const on = r.apps?.find((a) => a.pid === r.pid);
      const ok = r.choice?.gpu?.uuid === last.uuid && (!on || on.gpuUuid === last.uuid);
      return [
        ok,
        `reported GPU ${r.choice?.gpu?.index} ${r.choice?.gpu?.uuid}, used ${on?.gpuUuid ?? "(pid not listed)"}, expected ${last.uuid}`,
      ];
    },
  ],
  [
    "hidden",
    { CUDA_VISIBLE_DEVICES: "" },
    (r) => {
      const skipped = r.choice?.skipped.find((s) => s.backend === "tensorflow-gpu");
      const ok =
        r.choice?.name !== "tensorflow-gpu" &&
        /hides every GPU/.test(skipped?.reason ?? "") &&
        r.processEnv === "";
      return [ok, `${r.choice?.name}; tensorflow-gpu skipped: ${skipped?.reason}`];
    },
  ],
  [
    "growth",
    {},
    (r) => [
      r.ownMiB !== undefined && r.ownMiB < 0.5 * r.totalMiB,
      `memory growth on: this process holds ${r.ownMiB ?? "?"} of ${r.totalMiB} MiB after a 256 MiB tensor`,
    ],
  ],
  [
    "growth",
    { TF_FORCE_GPU_ALLOW_GROWTH: "false" },
    (r) => [true, `memory growth off (informational): ${r.ownMiB ?? "?"} of ${r.totalMiB} MiB`],
  ],
  [
    "train-tensorflow-gpu",
    {},
    (r) => [
      r.backend === "tensorflow-gpu" && r.samplesPerSecond > 0,
      `${r.backend}: ${r.samplesPerSecond?.toFixed(0)} samples/s (${r.steps} steps of ${batch})${r.error ? ` ${r.error}` : ""}`,
    ],
  ],
  [
    "replicas",
    {},
    (r) => {
      if (r.skip) return [true, `skipped: ${r.skip}`];
      const distinct = new Set(r.placed?.map((p) => p.gpuUuid)).size;
      const ok = r.workers === r.expected && distinct === r.workers && r.samplesPerSecond > 0;
      const speedUp = speed["train-tensorflow-gpu"]
        ? `, ${(r.samplesPerSecond / speed["train-tensorflow-gpu"]).toFixed(2)}x the 1-GPU run`
        : "";
      return [
        ok,
        `${r.workers} replicas (expected ${r.expected}) on ${distinct} distinct GPUs per nvidia-smi (${r.placed?.map((p) => `${p.pid}:${p.gpuUuid}`).join(", ") || "none listed"}); ${r.log ?? "no replica log line"}; ${r.samplesPerSecond?.toFixed(0) ?? "no"} samples/s${speedUp}${r.error ? ` ${r.error}` : ""}`,
      ];
    },
  ],
  [
    "train-wasm",
    {},
    (r) => [
      r.backend === "wasm" && r.samplesPerSecond > 0,
      `${r.backend}: ${r.samplesPerSecond?.toFixed(0)} samples/s (${r.steps} steps of ${batch})${r.error ? ` ${r.error}` : ""}`,
    ],
  ],
];

let failed = 0;
const speed = {};
const only = values.only?.split(",");
for (const [name, env, judge] of checks) {
  if (only && !only.includes(name)) continue;
  const result = await child(name, env);
  const [ok, detail] = result.crash ? [false, result.crash] : judge(result);
  if (name.startsWith("train-")) speed[name] = result.samplesPerSecond;
  if (!ok) failed++;
  console.log(
    `${ok ? "PASS" : "FAIL"} ${name}${Object.keys(env).length ? ` ${JSON.stringify(env)}` : ""}: ${detail}`,
  );
}
if (speed["train-tensorflow-gpu"] && speed["train-wasm"]) {
  console.log(
    `tensorflow-gpu / wasm: ${(speed["train-tensorflow-gpu"] / speed["train-wasm"]).toFixed(1)}x samples/s`,
  );
}
process.exit(failed ? 1 : 0);

function child(name, extraEnv) {
  const env = { ...process.env };
  for (const v of TF_VARS) delete env[v];
  Object.assign(env, extraEnv);
  const script = fileURLToPath(import.meta.url);
  const args = [script, "--case", name, "--steps", String(steps), "--batch", String(batch)];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { env, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (error, stdout, stderr) => {
        const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
        if (line) return resolve(JSON.parse(line.slice(7)));
        resolve({
          crash: `${error?.message ?? "no result"}\n${stderr.split("\n").slice(-8).join("\n")}`,
        });
      },
    );
  });
}

// ---- child: one case ----
async function runCase(name) {
  const tipi = await import("@tipi/tfjs");
  const tf = await import("@tensorflow/tfjs-core");
  if (name === "replicas") return runReplicas(tipi);
  if (name.startsWith("train-")) {
    const backend = name.slice("train-".length);
    const choice = await tipi.resolveBackend({ backend });
    const n = (backend === "wasm" ? Math.min(steps, 20) : steps) * batch;
    const data = randomImages(n);
    const model = tipi.smallCnn({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
    // one warm-up epoch of 2 batches, then the timed one
    await tipi.train({ model, train: randomImages(2 * batch), epochs: 1, batchSize: batch });
    const result = await tipi.train({ model, train: data, epochs: 1, batchSize: batch });
    return { backend: choice.name, samplesPerSecond: result.samplesPerSecond, steps: n / batch };
  }
  let choice;
  let error;
  try {
    choice = await tipi.resolveBackend({ backend: "auto" });
  } catch (e) {
    error = String(e);
  }
  const out = { choice, error, pid: process.pid, processEnv: process.env.CUDA_VISIBLE_DEVICES };
  if (choice?.name === "tensorflow-gpu") {
    if (name === "growth") {
      const x = tf.ones([8192, 8192]); // 256 MiB of float32
      await tf.matMul(x, x).data();
    } else {
      await tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).data(); // TensorFlow now holds the GPU
    }
    out.apps = await tipi.queryGpuProcesses();
    out.ownMiB = out.apps?.find((a) => a.pid === process.pid)?.usedMiB;
    out.totalMiB = choice.gpu?.totalMiB;
  }
  return out;
}

/** Trains with one replica process per GPU and notes where nvidia-smi sees each process. */
async function runReplicas(tipi) {
  const choice = await tipi.resolveBackend({ backend: "auto" });
  const plan = tipi.gpuReplicaPlan();
  if (choice.name !== "tensorflow-gpu" || !plan || plan.devices.length < 2) {
    return {
      skip: `needs tensorflow-gpu and 2 GPUs (${choice.name}, ${plan?.devices.length ?? 0} GPUs)`,
    };
  }
  const expected = Math.min(plan.devices.length, Math.floor(batch / 16));
  const model = tipi.smallCnn({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  let log;
  let placing;
  const emit = (event) => {
    if (event.type === "log" && event.message.startsWith("training on")) log = event.message;
    if (event.type === "progress" && event.current === 2 && !placing)
      placing = placedProcesses(tipi);
  };
  const data = randomImages(steps * batch);
  try {
    // one warm-up epoch of 2 batches, then the timed one
    await tipi.train({
      model,
      train: randomImages(2 * batch),
      epochs: 1,
      batchSize: batch,
      workers: "auto",
    });
    const result = await tipi.train({
      model,
      train: data,
      epochs: 1,
      batchSize: batch,
      workers: "auto",
      emit,
    });
    return {
      workers: result.workers,
      expected,
      samplesPerSecond: result.samplesPerSecond,
      log,
      placed: await placing,
    };
  } catch (e) {
    return { workers: 0, expected, log, error: String(e), placed: await placing };
  }
}

/** This process and its children as nvidia-smi lists them (a child's parent from /proc). */
async function placedProcesses(tipi) {
  const { readFileSync } = await import("node:fs");
  const parentOf = (pid) => {
    try {
      return Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[1]);
    } catch {
      return undefined;
    }
  };
  const apps = (await tipi.queryGpuProcesses()) ?? [];
  return apps.filter((a) => a.pid === process.pid || parentOf(a.pid) === process.pid);
}

function randomImages(n) {
  const images = new Float32Array(n * 784);
  for (let i = 0; i < images.length; i++) images[i] = Math.random();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % 10;
  return { images, labels, length: n, numClasses: 10 };
}
