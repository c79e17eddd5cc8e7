import type { ParsedArgs } from "../cli/parse-args.ts";

export async function uiCommand(_args: ParsedArgs): Promise<number> {
  throw new Error("tipi ui: not built yet");
}
