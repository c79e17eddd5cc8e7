import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { exampleFiles, TEMPLATE_EXAMPLES } from "../init/example-files.ts";
import { fashionMnistFiles, starterFiles, type TemplateContext } from "../init/templates.ts";

interface Manifest {
  readonly version: string;
  readonly dependencies?: Record<string, string>;
}

function readManifest(path: string): Manifest {
  return JSON.parse(readFileSync(path, "utf8")) as Manifest;
}

/** Whether `dir` lies in the pnpm workspace this CLI is part of (e.g. examples/x). */
function insideOwnWorkspace(dir: string): boolean {
  const cliDir = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
  for (let d = dir; dirname(d) !== d; d = dirname(d)) {
    if (existsSync(join(d, "pnpm-workspace.yaml"))) return cliDir.startsWith(`${d}/`);
  }
  return false;
}

/**
 * The versions a new project depends on: tipi at this CLI's version (all tipi packages are
 * released together), and the packages whose versions must match tipi's own (tfjs-core: one
 * engine; zod) read from the installed @tipi/tfjs.
 */
function templateContext(name: string, dir: string): TemplateContext {
  const cli = readManifest(fileURLToPath(new URL("../../package.json", import.meta.url)));
  const tfjs = readManifest(createRequire(import.meta.url).resolve("@tipi/tfjs/package.json"));
  const tfjsDependency = (pkg: string): string => {
    const range = tfjs.dependencies?.[pkg];
    if (range === undefined) throw new Error(`@tipi/tfjs does not depend on ${pkg}`);
    return range;
  };
  return {
    name,
    tipi: insideOwnWorkspace(dir) ? "workspace:*" : `^${cli.version}`,
    versions: {
      typescript: "^5.9.3",
      vitest: "^3.2.7",
      typesNode: "^20.19.0",
      tsx: cli.dependencies?.tsx ?? "^4.20.0",
      zod: tfjsDependency("zod"),
      tfjsCore: tfjsDependency("@tensorflow/tfjs-core"),
    },
  };
}

/** `tipi init <dir> [--example fashion-mnist]`: a standalone TypeScript project using tipi. */
export async function initCommand(args: ParsedArgs): Promise<number> {
  const dir = resolve(args.positionals[0]!);
  const example = args.options.example === undefined ? undefined : String(args.options.example);
  if (example !== undefined && !TEMPLATE_EXAMPLES.includes(example)) {
    throw new UsageError(
      `unknown example "${example}"`,
      `examples: ${TEMPLATE_EXAMPLES.join(", ")}`,
    );
  }
  if (existsSync(dir) && readdirSync(dir).length > 0 && !args.options.force) {
    throw new UsageError(
      `${args.positionals[0]} is not empty`,
      "choose a new directory, or pass --force",
    );
  }
  const name = String(args.options.name ?? basename(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-_]/g, "-");
  const context = templateContext(name, dir);
  const files =
    example === undefined ? starterFiles(context) : fashionMnistFiles(context, exampleFiles());
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const shown = relative(process.cwd(), dir) || ".";
  const install = context.tipi === "workspace:*" ? "pnpm install" : "npm install";
  const run = context.tipi === "workspace:*" ? "pnpm" : "npm";
  process.stdout.write(
    [
      `✔ created ${shown}: ${Object.keys(files).sort().join(", ")}`,
      "",
      `  cd ${shown}`,
      `  ${install}`,
      `  ${run} test         # type-check (strict) and unit tests`,
      `  ${run} start        # train and evaluate`,
      "",
    ].join("\n"),
  );
  return EXIT.ok;
}
