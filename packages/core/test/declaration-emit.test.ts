/**
 * A user's library that exports a pipeline must compile with `declaration: true`: every
 * type in an inferred pipeline type (`Def`, `Slot`, `CreateDef`) is exported from
 * `@tipi/core`, so TypeScript can name it instead of failing with TS2742 ("cannot be named
 * without a reference to …/types/def.js").
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, expect, it } from "vitest";
import { repoRoot, workspaceCompilerOptions } from "./fixtures/type-check.ts";

const dir = mkdtempSync(join(tmpdir(), "tipi-declaration-emit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("emits declarations for exported pipelines that name their types through @tipi/core", () => {
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "lib", type: "module" }));
  mkdirSync(join(dir, "node_modules/@tipi"), { recursive: true });
  symlinkSync(join(repoRoot, "packages/core"), join(dir, "node_modules/@tipi/core"), "dir");
  const file = join(dir, "lib.ts");
  writeFileSync(
    file,
    [
      'import { Pipeline } from "@tipi/core";',
      "export const empty = Pipeline.create<{ n: number }>();",
      "export const p = Pipeline.create<{ n: number }>()",
      '  .stage("double", (s) => ({ n: s.n * 2 }))',
      '  .requireJoin("train");',
      "",
    ].join("\n"),
  );
  const outDir = join(dir, "out");
  const program = ts.createProgram([file], {
    ...workspaceCompilerOptions(),
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    outDir,
  });
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, " "),
  );
  expect(diagnostics).toEqual([]);
  const dts = readFileSync(join(outDir, "lib.d.ts"), "utf8");
  expect(dts).toContain('import("@tipi/core").Def<');
  expect(dts).toContain('import("@tipi/core").CreateDef<');
});
