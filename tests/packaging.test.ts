// Every published package, as npm would pack it, passes publint and "Are the types wrong?"
// (ESM-only profile: tipi ships no CommonJS). The packages must be built (`pnpm build`).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { publint } from "publint";
import { describe, expect, test } from "vitest";
import { PUBLISHED } from "./fixtures/registry/registry.ts";

const packageDir = (name: string) =>
  fileURLToPath(new URL(`../packages/${name}/`, import.meta.url));
const attw = fileURLToPath(new URL("../node_modules/.bin/attw", import.meta.url));

interface AttwReport {
  readonly analysis: { readonly problems?: readonly { readonly kind: string }[] };
  readonly problems?: readonly { readonly kind: string; readonly resolutionKind?: string }[];
}

describe.each(PUBLISHED)("package %s", (name) => {
  const manifest = JSON.parse(readFileSync(`${packageDir(name)}package.json`, "utf8")) as {
    exports: Record<string, unknown>;
    files: string[];
    engines: { node: string };
    bin?: Record<string, string>;
  };

  test("publint: no errors, warnings or suggestions", async () => {
    const { messages } = await publint({
      pkgDir: packageDir(name),
      pack: "pnpm",
      level: "suggestion",
    });
    expect(messages.map((m) => `${m.type} ${m.code} ${m.path.join(".")}`)).toEqual([]);
  }, 60_000);

  test("arethetypeswrong (esm-only): every entry point resolves to JavaScript and types", async () => {
    const report = await new Promise<AttwReport>((resolve, reject) => {
      execFile(
        attw,
        ["--pack", ".", "--profile", "esm-only", "--format", "json"],
        { cwd: packageDir(name), maxBuffer: 64 * 1024 * 1024 },
        (error, stdout) => {
          try {
            resolve(JSON.parse(stdout) as AttwReport);
          } catch {
            reject(error ?? new Error(`attw printed no JSON: ${stdout.slice(0, 500)}`));
          }
        },
      );
    });
    const problems = (report.analysis.problems ?? []).filter(
      (p) =>
        !("resolutionKind" in p) || !["node10", "node16-cjs"].includes(String(p.resolutionKind)),
    );
    expect(problems).toEqual([]);
  }, 120_000);

  test("exports built JavaScript with types, and ships what they point at", () => {
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === "./package.json") continue;
      expect(target).toMatchObject({
        types: expect.stringMatching(/^\.\/dist\/.+\.d\.ts$/),
        import: expect.stringMatching(/^\.\/dist\/.+\.js$/),
      });
    }
    expect(manifest.files).toContain("dist");
    expect(manifest.engines.node).toBe(">=20.9");
    // bin/tipi.js is a two-line launcher of the built CLI (so pnpm links it before a build)
    for (const bin of Object.values(manifest.bin ?? {})) expect(bin).toBe("./bin/tipi.js");
  });
});
