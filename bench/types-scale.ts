/**
 * How type-checking cost grows with the number of steps in a DSL pipeline.
 *
 * Generates pipelines of N steps (default 5, 150, 400), type-checks each in a fresh process
 * with the TypeScript API, and prints type instantiations, checker CPU time, TS2589 errors
 * and the length of the pipeline's hover text. Goal: instantiations linear in N, a 150-step
 * pipeline within 1.2× the CPU time of a 5-step one, no TS2589 at 400.
 *
 *   npx tsx bench/types-scale.ts [sizes…]      e.g. npx tsx bench/types-scale.ts 5 150 400
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const core = join(root, "packages/core/src/index.ts");
const testing = join(root, "packages/core/src/testing/index.ts");

/** A pipeline of `n` steps (every fifth an `io`), a join, an override and a run. */
function source(n: number): string {
  const lines = [
    `import { Pipeline } from ${JSON.stringify(core)};`,
    `import { runStep } from ${JSON.stringify(testing)};`,
    "export const p = Pipeline.create<{ n0: number }>()",
  ];
  for (let i = 1; i <= n; i++) {
    const kind = i % 5 === 0 ? "io" : "stage";
    lines.push(`  .${kind}("step${i}", (s) => ({ n${i}: s.n${i - 1} + 1 }))`);
  }
  lines.push('  .requireJoin("train")', '  .provideJoin("train", (s) => s);');
  const mid = Math.ceil(n / 2);
  lines.push(`p.override("step${mid}", (s) => ({ n${mid}: s.n${mid - 1} * 2 }));`);
  lines.push(`runStep(p, "step${mid}", { n${mid - 1}: 1 });`);
  lines.push("p.run({ n0: 0 });");
  return `${lines.join("\n")}\n`;
}

interface Figures {
  readonly steps: number;
  readonly instantiations: number;
  readonly types: number;
  readonly checkCpuMs: number;
  readonly errors: string[];
  readonly hoverChars: number;
}

function measure(n: number): Figures {
  const dir = mkdtempSync(join(tmpdir(), "tipi-types-scale-"));
  try {
    const file = join(dir, `pipeline-${n}.ts`);
    writeFileSync(file, source(n));
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2023.d.ts"],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      types: ["node"],
      typeRoots: [join(root, "node_modules/@types")],
    };
    const program = ts.createProgram([file], options);
    const checker = program.getTypeChecker();
    const start = process.cpuUsage();
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const cpu = process.cpuUsage(start);
    const sourceFile = program.getSourceFile(file);
    let hoverChars = -1;
    sourceFile?.forEachChild((node) => {
      if (ts.isVariableStatement(node)) {
        const decl = node.declarationList.declarations[0];
        if (decl !== undefined) {
          const type = checker.getTypeAtLocation(decl.name);
          hoverChars = checker.typeToString(
            type,
            undefined,
            ts.TypeFormatFlags.NoTruncation,
          ).length;
        }
      }
    });
    return {
      steps: n,
      instantiations: program.getInstantiationCount(),
      types: program.getTypeCount(),
      checkCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      errors: diagnostics.map(
        (d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, " ").slice(0, 160)}`,
      ),
      hoverChars,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  process.stdout.write(JSON.stringify(measure(Number(process.argv[3]))));
} else {
  const sizes = process.argv.slice(2).map(Number);
  const self = fileURLToPath(import.meta.url);
  const rows: Figures[] = [];
  for (const n of sizes.length > 0 ? sizes : [5, 150, 400]) {
    // A fresh process per size, best of three: caches and the JIT do not carry over.
    const runs: Figures[] = [];
    for (let round = 0; round < 3; round++) {
      const child = spawnSync(process.execPath, ["--import", "tsx", self, "--child", `${n}`], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      });
      if (child.status !== 0) throw new Error(child.stderr);
      runs.push(JSON.parse(child.stdout) as Figures);
    }
    rows.push(runs.reduce((a, b) => (b.checkCpuMs < a.checkCpuMs ? b : a)));
  }
  const base = rows[0]?.checkCpuMs ?? 1;
  for (const r of rows) {
    console.log(
      `${String(r.steps).padStart(4)} steps: ${r.instantiations.toLocaleString("en")} instantiations, ` +
        `${r.types.toLocaleString("en")} types, check ${r.checkCpuMs} ms CPU ` +
        `(${(r.checkCpuMs / base).toFixed(2)}×), hover ${r.hoverChars} chars, ` +
        `${r.errors.length} errors${r.errors.length > 0 ? `: ${r.errors.slice(0, 3).join(" | ")}` : ""}`,
    );
  }
}
