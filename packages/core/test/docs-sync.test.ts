import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// Every TypeScript block in the core's docs must be a #region of a file under test/docs/,
// which CI type-checks and runs: the docs cannot drift from code that works.
const root = join(import.meta.dirname, "..", "..", "..");
const pages = ["dsl", "errors", "permanences", "processes", "testing"];
const MARKER =
  /<!-- example: (packages\/core\/test\/docs\/[\w.-]+)#([\w-]+) -->\n```ts\n([\s\S]*?)\n```/g;

function region(file: string, name: string): string {
  const text = readFileSync(join(root, file), "utf8");
  const start = text.match(new RegExp(`^[ \\t]*// #region ${name}\\n`, "m"));
  const end = text.match(new RegExp(`^[ \\t]*// #endregion ${name}\\n`, "m"));
  if (start?.index === undefined || end?.index === undefined) throw new Error(`${file}#${name}`);
  const lines = text
    .slice(start.index + start[0].length, end.index)
    .trimEnd()
    .split("\n");
  const indent = Math.min(
    ...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length),
  );
  return lines.map((l) => l.slice(indent)).join("\n");
}

describe("docs code blocks", () => {
  for (const page of pages) {
    it(`docs/${page}.md shows only code from test/docs`, () => {
      const markdown = readFileSync(join(root, "docs", `${page}.md`), "utf8");
      const tsBlocks = markdown.match(/```ts\n/g)?.length ?? 0;
      const examples = [...markdown.matchAll(MARKER)];
      expect(examples.length).toBeGreaterThan(0);
      expect(examples.length).toBe(tsBlocks);
      for (const [, file, name, code] of examples) {
        expect(code, `${file}#${name}`).toBe(region(file!, name!));
      }
    });
  }
});
