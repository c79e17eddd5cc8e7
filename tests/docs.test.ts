import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type BlockFailure,
  type CodeBlock,
  checkBlocks,
  checkedBlocks,
  docFiles,
  extractBlocks,
  formatFailures,
  readBlocks,
  repoRoot,
} from "./docs-checker.ts";

const FIXTURE = "fixture/broken.md";
const fixtureMarkdown = [
  "# A page", //                                             1
  "", //                                                     2
  "```ts", //                                                3
  'import type { TipiEvent } from "@tipi/core";', //         4
  'const e: TipiEvent = { type: "log", level: "info", message: "hi" };', // 5
  "console.log(e);", //                                      6
  "```", //                                                  7
  "", //                                                     8
  "```ts", //                                                9
  "const ok = 1;", //                                       10
  'const wrong: number = "not a number";', //               11
  "```", //                                                 12
  "", //                                                    13
  "```ts no-check", //                                      14
  "this is not TypeScript at all", //                       15
  "```", //                                                 16
  "", //                                                    17
  "```sh", //                                               18
  "pnpm tipi run examples/fashion-mnist", //                19
  "```", //                                                 20
  "```ts continue", //                                      21
  "const again: number = ok;", //                           22
  "const bad: boolean = again > 0 ? again : false;", //     23
  "```", //                                                 24
].join("\n");

describe("docs code blocks", () => {
  const docs = docFiles();
  const realBlocks = checkedBlocks(readBlocks(docs));
  const fixtureBlocks = checkedBlocks(extractBlocks(fixtureMarkdown, FIXTURE));
  let failures: BlockFailure[] = [];

  beforeAll(() => {
    // One program for every block, the fixture's included.
    failures = checkBlocks([...fixtureBlocks, ...realBlocks]);
  }, 120_000);

  it("extracts ts blocks with their fence line and honours no-check", () => {
    const all = extractBlocks(fixtureMarkdown, FIXTURE);
    expect(all.map((b: CodeBlock) => [b.lang, b.line])).toEqual([
      ["ts", 3],
      ["ts", 9],
      ["ts", 14],
      ["sh", 18],
      ["ts", 21],
    ]);
    expect(fixtureBlocks.map((b) => b.line)).toEqual([3, 9, 21]);
  });

  it("reports a failing block with its markdown file and line", () => {
    const fromFixture = failures.filter((f) => f.file === FIXTURE);
    expect(fromFixture).toHaveLength(2);
    expect(fromFixture[0]).toMatchObject({ file: FIXTURE, line: 11, code: 2322 });
    // A `continue` block sees the names of the block before it (`ok`), and its own errors
    // are reported at its own lines.
    expect(fromFixture[1]).toMatchObject({ file: FIXTURE, line: 23, code: 2322 });
  });

  it("type-checks every ts block of docs/*.md and README.md", () => {
    const real = failures.filter((f) => f.file !== FIXTURE);
    expect(formatFailures(real)).toBe("");
  });
});

describe("docs links", () => {
  const docs = docFiles();
  const linkPattern = /\]\(([^)\s]+)\)/g;

  it("docs/README.md indexes every page in docs/", () => {
    const index = readFileSync(join(repoRoot, "docs/README.md"), "utf8");
    const missing = docs
      .filter((f) => f.startsWith("docs/") && f !== "docs/README.md")
      .filter(
        (f) =>
          !index.includes(`(${f.slice("docs/".length)})`) &&
          !index.includes(`(./${f.slice("docs/".length)})`),
      );
    expect(missing).toEqual([]);
  });

  it("every relative link in the docs and README points at an existing file", () => {
    const broken: string[] = [];
    for (const file of docs) {
      const text = readFileSync(join(repoRoot, file), "utf8");
      for (const m of text.matchAll(linkPattern)) {
        const target = m[1] ?? "";
        if (/^[a-z]+:/i.test(target) || target.startsWith("#")) continue;
        const path = target.split("#")[0] ?? "";
        if (!existsSync(join(repoRoot, dirname(file), path))) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe("docs quotes and diffs of real files", () => {
  const blocks = readBlocks(docFiles());
  const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");
  const linesOf = (path: string) =>
    new Set(
      read(path)
        .split("\n")
        .map((l) => l.trimEnd()),
    );

  it("a block with `file=` is an exact excerpt of that file", () => {
    const wrong = blocks
      .filter((b) => b.attrs.file !== undefined && b.lang !== "diff")
      .filter((b) => !read(b.attrs.file!).includes(b.code.trim()))
      .map((b) => `${b.file}:${b.line}: does not match ${b.attrs.file}`);
    expect(wrong).toEqual([]);
  });

  it("a block after `<!-- example: file#region -->` names a region that exists", () => {
    const wrong = blocks
      .filter((b) => b.attrs.example !== undefined)
      .filter((b) => {
        const [path, region] = b.attrs.example!.split("#");
        if (!existsSync(join(repoRoot, path!))) return true;
        return region !== undefined && !read(path!).includes(`#region ${region}`);
      })
      .map((b) => `${b.file}:${b.line}: no such example ${b.attrs.example}`);
    expect(wrong).toEqual([]);
  });

  it("a ```diff block with `from=`/`to=` matches the two files line for line", () => {
    const wrong: string[] = [];
    for (const b of blocks.filter((b) => b.lang === "diff" && b.attrs.from && b.attrs.to)) {
      const from = linesOf(b.attrs.from!);
      const to = linesOf(b.attrs.to!);
      b.code.split("\n").forEach((line, i) => {
        const text = line.slice(1).trimEnd();
        const where = `${b.file}:${b.line + 1 + i}`;
        if (line.startsWith("@@") || line.trim() === "") return;
        if (line.startsWith("+") && !to.has(text)) wrong.push(`${where}: not in ${b.attrs.to}`);
        if (line.startsWith("-") && !from.has(text)) wrong.push(`${where}: not in ${b.attrs.from}`);
        if (line.startsWith(" ") && !(from.has(text) && to.has(text)))
          wrong.push(`${where}: context line not in both files`);
      });
    }
    expect(wrong).toEqual([]);
  });
});
