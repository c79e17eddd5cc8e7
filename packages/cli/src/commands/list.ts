import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { EXIT } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { listPipelines } from "../config/resolve-target.ts";
import { TomlDocument } from "../config/toml-document.ts";
import { toJsonLine } from "../ui/json-renderer.ts";

/** A TOML pipeline's `[pipeline]` name and description (a module's would need loading it). */
function pipelineTable(file: string): { name?: string; description: string } {
  try {
    const table = TomlDocument.read(file).data.pipeline as Record<string, unknown> | undefined;
    return {
      ...(typeof table?.name === "string" ? { name: table.name } : {}),
      description: typeof table?.description === "string" ? table.description : "",
    };
  } catch {
    return { description: "(invalid TOML)" };
  }
}

/** `pipeline.ts` (or .js, .mts…) and TOML files with a `[pipeline]` or `[processes]` table. */
function pipelineFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .filter((file) => {
      if (/^pipeline\.[cm]?[jt]s$/.test(file)) return true;
      if (!file.endsWith(".toml")) return false;
      try {
        const data = TomlDocument.read(join(dir, file)).data;
        return "pipeline" in data || "processes" in data;
      } catch {
        return false;
      }
    });
}

/**
 * `tipi list`: the pipelines in `pipelines/` and `examples/`, by the name `tipi run <name>`
 * takes (the folder or file name); a TOML pipeline that calls itself something else
 * (`[pipeline] name`, the folder of its runs) says so.
 */
export async function listCommand(args: ParsedArgs): Promise<number> {
  const pipelines = listPipelines().map((p) => {
    const table = p.target.kind === "toml" ? pipelineTable(p.target.file) : { description: "" };
    return {
      name: p.name,
      // A module's name is known once it is loaded (`tipi validate` prints it).
      ...(p.target.kind === "toml" ? { pipeline: table.name ?? p.target.defaultName } : {}),
      folder: p.folder,
      kind: p.target.kind,
      path: relative(process.cwd(), p.target.file) || p.target.file,
      description: table.description,
    };
  });
  if (args.options.json) {
    process.stdout.write(`${toJsonLine(pipelines)}\n`);
    return EXIT.ok;
  }
  if (pipelines.length === 0) {
    // A project made by `tipi init` keeps its pipeline at the top: name what is here.
    const here = pipelineFilesIn(process.cwd());
    process.stdout.write(
      here.length > 0
        ? `no pipelines in pipelines/ or examples/; in this folder: ${here.join(", ")} (tipi run <file>)\n`
        : "no pipelines found in pipelines/ or examples/ (create one: tipi init <dir>)\n",
    );
    return EXIT.ok;
  }
  const width = Math.max(...pipelines.map((p) => p.name.length));
  const pathWidth = Math.max(...pipelines.map((p) => p.path.length));
  for (const p of pipelines) {
    const named =
      p.pipeline === undefined || p.pipeline === p.name ? "" : `(pipeline "${p.pipeline}") `;
    process.stdout.write(
      `${`${p.name.padEnd(width)}  ${p.path.padEnd(pathWidth)}  ${named}${p.description}`.trimEnd()}\n`,
    );
  }
  return EXIT.ok;
}
