import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import { didYouMean, nearest } from "@tipi/core/did-you-mean";
import { UsageError } from "../cli/errors.ts";
import { TomlDocument } from "./toml-document.ts";

/** What `tipi run <pipeline>` points at. */
export interface Target {
  readonly kind: "toml" | "module";
  /** Absolute path of the `.toml` file or the module. */
  readonly file: string;
  /** Default pipeline name: the directory of a `pipeline.*` file, else the file's base name. */
  readonly defaultName: string;
}

const MODULE_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"];
const DIRECTORY_FILES = [
  "pipeline.toml",
  "pipeline.ts",
  "pipeline.mts",
  "pipeline.js",
  "pipeline.mjs",
];
/** Where pipeline names are looked up, in order. */
const PIPELINE_DIRS = ["pipelines", "examples"];

function targetFromFile(file: string): Target {
  const extension = extname(file);
  const stem = basename(file, extension);
  const defaultName = stem === "pipeline" ? basename(dirname(file)) : stem;
  if (extension === ".toml") return { kind: "toml", file, defaultName };
  if (MODULE_EXTENSIONS.includes(extension)) return { kind: "module", file, defaultName };
  throw new UsageError(
    `cannot run ${file}: expected a .toml file, a .ts/.js module or a directory`,
  );
}

function targetFromDirectory(dir: string): Target | undefined {
  for (const name of DIRECTORY_FILES) {
    const file = join(dir, name);
    if (existsSync(file)) return targetFromFile(file);
  }
  return undefined;
}

/** Directories from `cwd` up to the filesystem root (for name lookups from a subfolder). */
function ancestors(cwd: string): string[] {
  const out: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    out.push(dir);
    if (dirname(dir) === dir) return out;
  }
}

/**
 * Resolves a pipeline argument: an existing path (file or directory), else a name looked up
 * as `pipelines/<name>` and `examples/<name>` (directory, `.toml` or `.ts`) in the working
 * directory or the nearest parent that has such a folder.
 * @throws {@link UsageError} when `spec` names no pipeline (with a did-you-mean).
 */
export function resolveTarget(spec: string, cwd = process.cwd()): Target {
  const path = resolve(cwd, spec);
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) {
      const target = targetFromDirectory(path);
      if (target) return target;
      throw new UsageError(
        `${spec} holds no pipeline`,
        `a pipeline directory has one of ${DIRECTORY_FILES.slice(0, 2).join(", ")}`,
      );
    }
    return targetFromFile(path);
  }
  if (!spec.includes("/") && !spec.includes("\\")) {
    for (const root of ancestors(cwd)) {
      for (const folder of PIPELINE_DIRS) {
        const base = join(root, folder);
        if (!existsSync(base)) continue;
        const dir = join(base, spec);
        if (existsSync(dir) && statSync(dir).isDirectory()) {
          const target = targetFromDirectory(dir);
          if (target) return target;
        }
        for (const extension of [".toml", ...MODULE_EXTENSIONS]) {
          if (existsSync(`${dir}${extension}`)) return targetFromFile(`${dir}${extension}`);
        }
      }
    }
  }
  const known = listPipelines(cwd).map((p) => p.name);
  throw new UsageError(
    `no pipeline "${spec}": not a file or directory, and not in ${PIPELINE_DIRS.map((d) => `${d}/`).join(" or ")}`,
    nearbyFileHint(spec, cwd) ??
      didYouMean(spec, known) ??
      namedPipelineHint(spec, cwd) ??
      (known.length ? `known pipelines: ${known.join(", ")}` : undefined) ??
      repositoryExampleHint(spec),
  );
}

/**
 * A pipeline file near where `spec` points, spelt as the user would write it: `mine.toml` for
 * `mine` or `min.toml`, `../mine.toml` for `mine.toml` run from a subfolder of the project.
 */
function nearbyFileHint(spec: string, cwd: string): string | undefined {
  const path = resolve(cwd, spec);
  const runnable = [".toml", ...MODULE_EXTENSIONS];
  const withExtension = runnable.find((extension) => existsSync(`${path}${extension}`));
  if (withExtension !== undefined && extname(spec) === "")
    return `did you mean "${spec.replace(/[/\\]+$/, "")}${withExtension}"?`;
  let files: string[] = [];
  try {
    files = readdirSync(dirname(path)).filter((f) => runnable.includes(extname(f)));
  } catch {
    // the folder does not exist either
  }
  const near = nearest(basename(spec), files);
  if (near !== undefined) return `did you mean "${spec.slice(0, -basename(spec).length)}${near}"?`;
  if (isAbsolute(spec)) return undefined;
  // Run from a subfolder of the project: the file is further up.
  const above = ancestors(cwd)
    .slice(1)
    .find((dir) => existsSync(join(dir, spec)));
  return above === undefined
    ? undefined
    : `did you mean "${relative(cwd, join(above, spec))}"? (a path is read from the working directory)`;
}

/** A TOML file here whose `[pipeline] name` is what `spec` names (`tipi run fashion-mnist`). */
function namedPipelineHint(spec: string, cwd: string): string | undefined {
  const name = basename(spec.replace(/\/+$/, ""));
  let files: string[];
  try {
    files = readdirSync(cwd).filter((f) => f.endsWith(".toml"));
  } catch {
    return undefined;
  }
  const file = files.sort().find((f) => {
    try {
      const table = TomlDocument.read(join(cwd, f)).data.pipeline as { name?: unknown } | undefined;
      return table?.name === name;
    } catch {
      return false;
    }
  });
  return file === undefined
    ? undefined
    : `did you mean "${file}"? (its [pipeline] name is "${name}")`;
}

/** The docs' `examples/fashion-mnist` is this repository's; a project gets it from `tipi init`. */
function repositoryExampleHint(spec: string): string | undefined {
  if (!/^(examples\/)?fashion-mnist\/?$/.test(spec)) return undefined;
  return "examples/fashion-mnist is in tipi's repository; `npx tipi init <dir> --example fashion-mnist` writes it into a new project, as pipeline.toml";
}

/** A pipeline found by {@link listPipelines}. */
export interface ListedPipeline {
  readonly name: string;
  readonly target: Target;
  /** `pipelines` or `examples`. */
  readonly folder: string;
}

/** The pipelines in `pipelines/` and `examples/` of the nearest project folder that has them. */
export function listPipelines(cwd = process.cwd()): ListedPipeline[] {
  const root = ancestors(cwd).find((dir) => PIPELINE_DIRS.some((f) => existsSync(join(dir, f))));
  if (root === undefined) return [];
  const found: ListedPipeline[] = [];
  for (const folder of PIPELINE_DIRS) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(base, entry.name);
      if (entry.isDirectory()) {
        const target = targetFromDirectory(path);
        if (target) found.push({ name: entry.name, target, folder });
      } else if (
        folder === "pipelines" &&
        [".toml", ...MODULE_EXTENSIONS].includes(extname(entry.name))
      ) {
        found.push({
          name: basename(entry.name, extname(entry.name)),
          target: targetFromFile(path),
          folder,
        });
      }
    }
  }
  return found;
}
