import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The examples `tipi init --example` can start from. */
export const TEMPLATE_EXAMPLES: readonly string[] = ["fashion-mnist"];

/**
 * Where the build copies the code files of examples/fashion-mnist (scripts/copy-templates.mjs
 * lists them; the README is the template's own), so an installed CLI has them.
 */
const TEMPLATE_DIR = fileURLToPath(new URL("../../templates/fashion-mnist/", import.meta.url));

/**
 * The example's files, by name, as the build copied them.
 * @throws Error when the build did not copy them (a source checkout before `pnpm build`).
 */
export function exampleFiles(): Record<string, string> {
  let present: string[];
  try {
    present = readdirSync(TEMPLATE_DIR);
  } catch {
    throw new Error(
      `the fashion-mnist template is missing (${TEMPLATE_DIR}); in the tipi repository, run pnpm build`,
    );
  }
  return Object.fromEntries(
    present.map((file) => [file, readFileSync(`${TEMPLATE_DIR}${file}`, "utf8")]),
  );
}
