import { Registry } from "@tipi/core";
import { cliReferenceMarkdown } from "../cli/help.ts";
import { configReferenceMarkdown } from "./config-reference.ts";

/** The generated docs, by path from the repository root. */
export async function generateDocs(): Promise<Record<string, string>> {
  const { registerTfjs } = await import("@tipi/tfjs/registry");
  const registry = new Registry();
  registerTfjs(registry);
  return {
    "docs/cli.md": cliReferenceMarkdown(),
    "docs/config.md": configReferenceMarkdown(registry),
  };
}
