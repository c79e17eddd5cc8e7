// Writes docs/cli.md and docs/config.md from the command definitions and schemas.
// Run: pnpm --filter @tipi/cli gen-docs   (tests/cli-docs.test.ts fails when they are stale)
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateDocs } from "../src/docs/generate.ts";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
for (const [path, content] of Object.entries(await generateDocs())) {
  writeFileSync(join(repo, path), content);
  console.log(`wrote ${path}`);
}
