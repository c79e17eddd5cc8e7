import { existsSync, renameSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { isTable } from "@tipi/core";
import { readJson, redactSecrets, resolveRunDir, SECRET_KEY_PATTERN } from "@tipi/wandb";
import { UsageError } from "../cli/errors.ts";
import type { Override, ParsedArgs } from "../cli/parse-args.ts";
import { runsElsewhereHint } from "../commands/runs-elsewhere.ts";
import type { LoadedPipeline, LoadOptions } from "../config/load-pipeline.ts";

/**
 * How a run's config was made from its files: what `meta.json` records as `recipe`, so that
 * `--resume` rebuilds exactly that config (the run's `config.json` is redacted, so it cannot
 * be loaded back as is).
 */
export interface ConfigRecipe {
  /** `-c` files, absolute, in order. */
  readonly configFiles: readonly string[];
  /**
   * `--set` (and bare `k=v`) overrides as `key=value`, in command-line order. Overrides of
   * secret keys (`apiKey`, `token`…) are not recorded: a resume needs them given again.
   */
  readonly set: readonly string[];
  /** `--seed`, when given. */
  readonly seed?: number;
}

/** One config value that differs between the run being resumed and the resume. */
export interface ConfigChange {
  /** Dotted key path, e.g. `permanences.data.trainLimit`. */
  readonly key: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** A recipe's overrides as the loader takes them. */
function recipeOverrides(recipe: ConfigRecipe): Override[] {
  return recipe.set.map((text) => {
    const at = text.indexOf("=");
    return { key: text.slice(0, at), value: text.slice(at + 1), source: `--set ${text}` };
  });
}

/** The recipe of the current command line. */
export function recipeOf(args: ParsedArgs): ConfigRecipe {
  const seed = args.options.seed as number | undefined;
  return {
    configFiles: ((args.options.config as string[] | undefined) ?? []).map((f) => resolve(f)),
    set: args.overrides
      .filter((o) => !SECRET_KEY_PATTERN.test(o.key.split(".").at(-1) ?? ""))
      .map((o) => `${o.key}=${o.value}`),
    ...(seed === undefined ? {} : { seed }),
  };
}

/**
 * The saved recipe with the current command line's layered over it: its `-c` files after the
 * saved ones, its overrides after the saved ones (later wins), its `--seed` instead of the
 * saved one.
 */
function layerRecipes(saved: ConfigRecipe, now: ConfigRecipe): ConfigRecipe {
  const seed = now.seed ?? saved.seed;
  return {
    configFiles: [...saved.configFiles, ...now.configFiles],
    set: [...saved.set, ...now.set],
    ...(seed === undefined ? {} : { seed }),
  };
}

/** The run directory `--resume` names (with `--run-dir`, that directory); a usage error if none. */
function resumeDirectory(args: ParsedArgs, pipeline: string): string {
  const root = resolve(String(args.options.runs ?? "runs"));
  const resume = String(args.options.resume);
  const runDir = args.options["run-dir"] as string | undefined;
  const dir = runDir ? resolve(runDir) : resolveRunDir(root, pipeline, resume);
  if (dir === undefined || !existsSync(join(dir, "meta.json"))) {
    throw new UsageError(
      `no run "${resume}" of pipeline "${pipeline}" under ${runDir ? resolve(runDir) : root}`,
      (runDir ? undefined : runsElsewhereHint(root)) ?? 'see "tipi runs" for the run ids',
    );
  }
  return dir;
}

/** The recipe `meta.json` recorded; runs made before recipes were recorded have an empty one. */
function savedRecipe(meta: Readonly<Record<string, unknown>>): ConfigRecipe {
  const recipe = meta.recipe as Partial<ConfigRecipe> | undefined;
  const seed = typeof recipe?.seed === "number" ? recipe.seed : undefined;
  return {
    configFiles: Array.isArray(recipe?.configFiles)
      ? recipe.configFiles.filter((f) => typeof f === "string")
      : [],
    set: Array.isArray(recipe?.set) ? recipe.set.filter((s) => typeof s === "string") : [],
    ...(seed === undefined ? {} : { seed }),
  };
}

/** `config` as `config.json` stores it: redacted, through JSON. */
function asStored(config: unknown): unknown {
  return JSON.parse(JSON.stringify(redactSecrets(config ?? {})));
}

/** Replaces the run's `config.json` (redacted, atomically): a resume with `--allow-changes`. */
export function writeStoredConfig(dir: string, config: unknown): void {
  const path = join(dir, "config.json");
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(asStored(config), null, 2)}\n`);
  renameSync(tmp, path);
}

/** Every leaf whose value differs between `before` and `after`, as dotted paths, sorted. */
function diffConfigs(before: unknown, after: unknown): ConfigChange[] {
  const changes: ConfigChange[] = [];
  const walk = (a: unknown, b: unknown, path: readonly string[]) => {
    if (isTable(a) && isTable(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const key of [...keys].sort()) walk(a[key], b[key], [...path, key]);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      changes.push({ key: path.join("."), before: a, after: b });
    }
  };
  walk(before, after, []);
  return changes;
}

/** What a resume starts from: the run directory, its saved recipe, and how the config changes. */
export interface ResumePlan {
  readonly dir: string;
  readonly recipe: ConfigRecipe;
  readonly changes: readonly ConfigChange[];
}

/**
 * Loads the pipeline of the run `--resume` names with the config that run used: the saved
 * recipe, re-applied to the pipeline's files, with the current `-c`, `--set` and `--seed` layered
 * over it. `load(options)` loads the pipeline with other `-c` files, overrides and seed; `first` is the pipeline as the
 * current command line alone gives it (it names the pipeline, whose runs are searched).
 * Values that differ from the run's `config.json` (or, for a module pipeline, a different seed)
 * are returned as `changes`; refusing them is the caller's choice.
 */
export async function planResume(
  args: ParsedArgs,
  first: LoadedPipeline,
  load: (options: LoadOptions) => Promise<LoadedPipeline>,
): Promise<{ loaded: LoadedPipeline; plan: ResumePlan }> {
  const dir = resumeDirectory(args, first.name);
  const meta = readJson<Record<string, unknown>>(join(dir, "meta.json")) ?? {};
  const saved = savedRecipe(meta);
  const recipe = layerRecipes(saved, recipeOf(args));
  const nothingSaved =
    saved.configFiles.length === 0 && saved.set.length === 0 && saved.seed === undefined;
  const loaded = nothingSaved
    ? first
    : await load({
        configFiles: recipe.configFiles,
        // The current overrides as given (secret ones too, which recipes leave out).
        overrides: [...recipeOverrides(saved), ...args.overrides],
        ...(recipe.seed === undefined ? {} : { seed: recipe.seed }),
      });
  let changes: ConfigChange[];
  if (loaded.config === undefined) {
    const before = typeof meta.seed === "number" ? meta.seed : undefined;
    changes =
      before !== undefined && loaded.seed !== undefined && before !== loaded.seed
        ? [{ key: "seed", before, after: loaded.seed }]
        : [];
  } else {
    const saved = readJson<unknown>(join(dir, "config.json")) ?? {};
    changes = diffConfigs(saved, asStored(loaded.config));
  }
  return { loaded, plan: { dir, recipe, changes } };
}

/** The exit-2 error for changes made without `--allow-changes`, listing every differing key. */
export function changesRefused(changes: readonly ConfigChange[], dir: string): UsageError {
  const lines = changes.map((c) => `  ${c.key}: ${show(c.before)} → ${show(c.after)}`);
  return new UsageError(
    `--resume: the config differs from the run being resumed (${relativePath(dir)}/config.json) in ${changes.length} ${changes.length === 1 ? "key" : "keys"}:\n${lines.join("\n")}`,
    "resume without the flags that change it, or pass --allow-changes to continue with the new values",
  );
}

/**
 * A command that resumes the run in `dir`: `npx tipi run <pipeline> --resume <id>` when the id
 * finds it under the default runs root, else `--resume <path>` (a path always does).
 */
export function resumeCommand(args: ParsedArgs, dir: string, runId: string, name: string): string {
  const root = resolve(String(args.options.runs ?? "runs"));
  const byId =
    args.options["run-dir"] === undefined && resolveRunDir(root, name, runId) === dir
      ? runId
      : undefined;
  const runs = String(args.options.runs ?? "runs");
  const where =
    byId === undefined
      ? ["--resume", pathArgument(dir)]
      : runs === "runs"
        ? ["--resume", byId]
        : ["--runs", runs, "--resume", byId];
  // npx: a local install's tipi is not on the shell's PATH (npm start found it in
  // node_modules/.bin), and npx also runs a global one
  return ["npx", "tipi", "run", args.positionals[0] ?? "", ...where].map(shellQuote).join(" ");
}

/** A path `--resume` reads as a path: it has a `/` (`./x` for a bare name). */
function pathArgument(dir: string): string {
  const rel = relativePath(dir);
  return rel.includes("/") ? rel : `./${rel}`;
}

function relativePath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel === "" ? "." : rel.startsWith("..") ? dir : rel;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function show(value: unknown): string {
  return value === undefined ? "(unset)" : JSON.stringify(value);
}
