import { relative } from "node:path";
import { EXIT } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { listPipelines } from "../config/resolve-target.ts";
import { TomlDocument } from "../config/toml-document.ts";
import { toJsonLine } from "../ui/json-renderer.ts";

function descriptionOf(file: string): string {
  try {
    const table = TomlDocument.read(file).data.pipeline as Record<string, unknown> | undefined;
    return typeof table?.description === "string" ? table.description : "";
  } catch {
    return "(invalid TOML)";
  }
}

/** `tipi list`: the pipelines in `pipelines/` and `examples/`. */
export async function listCommand(args: ParsedArgs): Promise<number> {
  const pipelines = listPipelines().map((p) => ({
    name: p.name,
    folder: p.folder,
    kind: p.target.kind,
    path: relative(process.cwd(), p.target.file) || p.target.file,
    description: p.target.kind === "toml" ? descriptionOf(p.target.file) : "",
  }));
  if (args.options.json) {
    process.stdout.write(`${toJsonLine(pipelines)}\n`);
    return EXIT.ok;
  }
  if (pipelines.length === 0) {
    process.stdout.write(
      "no pipelines found in pipelines/ or examples/ (create one: tipi init <dir>)\n",
    );
    return EXIT.ok;
  }
  const width = Math.max(...pipelines.map((p) => p.name.length));
  const pathWidth = Math.max(...pipelines.map((p) => p.path.length));
  for (const p of pipelines) {
    process.stdout.write(
      `${`${p.name.padEnd(width)}  ${p.path.padEnd(pathWidth)}  ${p.description}`.trimEnd()}\n`,
    );
  }
  return EXIT.ok;
}
