/**
 * How type-checking cost grows with the number of steps in a DSL pipeline.
 *
 * Generates pipelines of N steps (default 5, 150, 400), type-checks each in a fresh process
 * with the TypeScript API, and prints type instantiations, checker CPU time, TS2589 errors
 * and the length of the pipeline's hover text (as an editor truncates it, and in full). Goal: instantiations linear in N, a 150-step
 * pipeline within 1.2× the CPU time of a 5-step one, no TS2589 at 400. As a baseline in the
 * same run, the same chains on a minimal generic builder (`referenceSource`): the ratio the
 * DSL would reach if each of its steps cost TypeScript no more than that builder's.
 *
 *   npx tsx bench/types-scale.ts [sizes…]      e.g. npx tsx bench/types-scale.ts 5 150 400
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  pipelineSource,
  referenceSource,
  type TypeCheckFigures,
  typeCheckPipeline,
} from "../packages/core/test/fixtures/type-check.ts";

if (process.argv[2] === "--child") {
  const source = process.argv[4] === "reference" ? referenceSource : pipelineSource;
  process.stdout.write(JSON.stringify(typeCheckPipeline(Number(process.argv[3]), source)));
} else {
  const sizes = process.argv.slice(2).map(Number);
  const self = fileURLToPath(import.meta.url);
  /** Best of three fresh processes: caches and the JIT do not carry over. */
  const measure = (n: number, which: "tipi" | "reference"): TypeCheckFigures => {
    const runs: TypeCheckFigures[] = [];
    for (let round = 0; round < 3; round++) {
      const child = spawnSync(
        process.execPath,
        ["--import", "tsx", self, "--child", `${n}`, which],
        { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      );
      if (child.status !== 0) throw new Error(child.stderr);
      runs.push(JSON.parse(child.stdout) as TypeCheckFigures);
    }
    return runs.reduce((a, b) => (b.checkCpuMs < a.checkCpuMs ? b : a));
  };
  const all = sizes.length > 0 ? sizes : [5, 150, 400];
  const rows = all.map((n) => measure(n, "tipi"));
  const reference = all.map((n) => measure(n, "reference"));
  const base = rows[0]?.checkCpuMs ?? 1;
  const refBase = reference[0]?.checkCpuMs ?? 0;
  rows.forEach((r, i) => {
    const ref = reference[i]!;
    // What the DSL would cost if each step cost what it costs a minimal builder.
    const floor = (base + ref.checkCpuMs - refBase) / base;
    console.log(
      `${String(r.steps).padStart(4)} steps: ${r.instantiations.toLocaleString("en")} instantiations, ` +
        `${r.types.toLocaleString("en")} types, check ${r.checkCpuMs} ms CPU ` +
        `(${(r.checkCpuMs / base).toFixed(2)}×; a minimal builder's per-step cost would give ` +
        `${floor.toFixed(2)}×), hover ${r.hover.length} chars (${r.fullTypeChars} untruncated), ` +
        `${r.errors.length} errors${r.errors.length > 0 ? `: ${r.errors.slice(0, 3).join(" | ")}` : ""}`,
    );
  });
}
