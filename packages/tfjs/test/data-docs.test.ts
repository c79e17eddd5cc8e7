import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const docsFile = fileURLToPath(new URL("../../../docs/datasets.md", import.meta.url));

/** The ```ts blocks of a markdown file that are not marked `no-check`. */
function tsBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```ts") continue;
    const end = lines.indexOf("```", i + 1);
    blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return blocks;
}

it("every example in docs/datasets.md runs, printing what it says", async () => {
  const blocks = tsBlocks(await readFile(docsFile, "utf8"));
  expect(blocks.length).toBeGreaterThanOrEqual(8);
  // Inside the package, so `@tipi/tfjs` and tfjs resolve as they do for a user.
  const dir = await mkdtemp(join(packageDir, ".docs-run-"));
  try {
    const names: string[] = [];
    for (const block of blocks) {
      const name = `line-${block.line}.ts`;
      await writeFile(join(dir, name), `${block.code}\nexport {};\n`);
      names.push(name);
    }
    const runner = names.map((n) => `console.log("=== ${n}");\nawait import("./${n}");`).join("\n");
    await writeFile(join(dir, "run.mts"), runner);
    const tsx = join(packageDir, "../../node_modules/.bin/tsx");
    const { stdout } = await run(tsx, [join(dir, "run.mts")], { cwd: join(packageDir, "../..") });
    for (const expected of [
      "12000 2000 [ 28, 28, 1 ]",
      "Ankle boot",
      "[ 2, 2, 1 ]",
      "not a PNG or JPEG file",
      "[ 32, 32, 3 ]",
      "[ 8, 8, 3 ] 4",
      "10800 1200",
      "32 true",
      "12000 188",
      "[ 4, 5, 0, 1 ] [ 2, 0 ] 2",
      "not an IDX file (magic number 0x504b0304)",
    ]) {
      expect(stdout).toContain(expected);
    }
    expect(stdout.match(/^=== /gm)).toHaveLength(blocks.length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
