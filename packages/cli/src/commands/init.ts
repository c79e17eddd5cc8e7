import {
  existsSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, relative, resolve } from "node:path";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { projectFiles } from "../init/templates.ts";

/** The directory of an installed @tipi package (resolved from the CLI itself). */
function packageDir(name: string): string {
  if (name === "@tipi/cli") return dirname(dirname(realpathSync(process.argv[1]!)));
  const entry = createRequire(import.meta.url).resolve(name);
  return dirname(dirname(entry));
}

/** Whether `dir` lies in a pnpm workspace that has the @tipi packages (e.g. examples/x). */
function workspaceOf(dir: string, cliDir: string): boolean {
  for (let d = dir; dirname(d) !== d; d = dirname(d)) {
    if (existsSync(join(d, "pnpm-workspace.yaml"))) return cliDir.startsWith(`${d}/`);
  }
  return false;
}

/** `tipi init <dir>`: a project that runs (`tipi run .`) and passes `pnpm test` at once. */
export async function initCommand(args: ParsedArgs): Promise<number> {
  const dir = resolve(args.positionals[0]!);
  if (existsSync(dir) && readdirSync(dir).length > 0 && !args.options.force) {
    throw new UsageError(
      `${args.positionals[0]} is not empty`,
      "choose a new directory, or pass --force",
    );
  }
  const name = String(args.options.name ?? basename(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-_]/g, "-");
  const packages = { "@tipi/cli": packageDir("@tipi/cli"), "@tipi/core": packageDir("@tipi/core") };
  const inWorkspace = workspaceOf(dir, packages["@tipi/cli"]);
  const files = projectFiles(name, (pkg) =>
    inWorkspace ? "workspace:*" : `link:${relative(dir, packages[pkg as keyof typeof packages])}`,
  );
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  // What `pnpm install` would link, so that the project runs before any install.
  for (const [pkg, target] of Object.entries(packages)) {
    const link = join(dir, "node_modules", pkg);
    if (existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link, "dir");
  }
  const bin = join(dir, "node_modules", ".bin", "tipi");
  if (!existsSync(bin)) {
    mkdirSync(dirname(bin), { recursive: true });
    symlinkSync(join(packages["@tipi/cli"], "bin", "tipi.mjs"), bin);
  }
  const shown = relative(process.cwd(), dir) || ".";
  process.stdout.write(
    [
      `✔ created ${shown}: pipeline.toml, processes.ts, test/pipeline.test.ts`,
      "",
      `  cd ${shown}`,
      "  pnpm start        # tipi run .",
      "  pnpm test",
      inWorkspace ? "  (inside this workspace: run pnpm install once to register the package)" : "",
      "",
    ].join("\n"),
  );
  return EXIT.ok;
}
