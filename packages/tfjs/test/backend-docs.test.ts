import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const page = readFileSync(join(repoRoot, "docs/backends.md"), "utf8");
const blocks = [...page.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);

// Runs every ```ts block of docs/backends.md as a script, the way a user would paste it: inside
// packages/tfjs, where `@tipi/tfjs` resolves to this package.
const nothingInstalled = await mkdtemp(join(tmpdir(), "tipi-nothing-installed-"));

describe("docs/backends.md examples", () => {
  it("has the examples this test expects", () => {
    expect(blocks).toHaveLength(2);
  });

  it.each(blocks.map((code, index) => ({ name: `block-${index + 1}`, code })))(
    "$name runs",
    async ({ name, code }) => {
      const file = join(here, `.backends-doc-${process.pid}-${name}.ts`);
      await writeFile(file, code);
      try {
        const { stdout } = await promisify(execFile)(
          join(repoRoot, "node_modules/.bin/tsx"),
          [file],
          {
            cwd: repoRoot,
            // Optional packages from an empty folder: a tfjs-node installed here changes nothing.
            env: { ...process.env, TIPI_BACKEND: "", TIPI_RESOLVE_PATHS: nothingInstalled },
            timeout: 60_000,
          },
        );
        expect(stdout).toMatch(/^wasm: .*WebAssembly backend with tipi's training kernels/m);
      } finally {
        await rm(file, { force: true });
      }
    },
  );
});
