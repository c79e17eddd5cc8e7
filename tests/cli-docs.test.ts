// docs/cli.md and docs/config.md are generated; this fails when the committed ones are stale.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { generateDocs } from "../packages/cli/src/docs/generate.ts";
import { VERSION } from "../packages/cli/src/version.ts";
import { REPO } from "./fixtures/cli/run-tipi.ts";

test("the committed CLI and config references match the definitions and schemas", async () => {
  const docs = await generateDocs();
  for (const [path, content] of Object.entries(docs)) {
    expect(
      readFileSync(join(REPO, path), "utf8"),
      `${path} is stale: run pnpm --filter @tipi/cli gen-docs`,
    ).toBe(content);
  }
});

test("the CLI's version is its package's", () => {
  const pkg = JSON.parse(readFileSync(join(REPO, "packages/cli/package.json"), "utf8")) as {
    version: string;
  };
  expect(VERSION).toBe(pkg.version);
});

test("every key of @tipi/tfjs's types has a description in docs/config.md", async () => {
  const config = (await generateDocs())["docs/config.md"]!;
  const types = config.slice(config.indexOf("## Types from `@tipi/tfjs`"));
  const rows = types.split("\n").filter((line) => /^\| `[^`]+` \|/.test(line));
  expect(rows.length).toBeGreaterThan(30);
  const bare = rows.filter((line) => /\|\s*\|$/.test(line));
  expect(bare, "give these keys a .describe() in their schema").toEqual([]);
});
