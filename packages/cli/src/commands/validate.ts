import { relative } from "node:path";
import { EXIT } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { loadFromArgs } from "./shared.ts";

/** `tipi validate`: build only; problems are thrown and printed by main (exit 2). */
export async function validateCommand(args: ParsedArgs): Promise<number> {
  const loaded = await loadFromArgs(args);
  const graph = loaded.pipeline.describe();
  // The steps `tipi graph` lists and `tipi run` counts ([n/N]): `through` checks included.
  const steps = graph.steps.length;
  process.stdout.write(
    `✔ ${relative(process.cwd(), loaded.target.file) || loaded.target.file}: pipeline "${loaded.name}" is valid (${graph.permanences.length} permanence${graph.permanences.length === 1 ? "" : "s"}, ${steps} step${steps === 1 ? "" : "s"})\n`,
  );
  return EXIT.ok;
}
