/**
 * Configs written for the Python tipi load as it loads them: its `[pipeline]` flags
 * (`enable_progress`, `enable_wandb`, `enable_basic_logger`, `enable_tensorboard`), `logger`
 * in any case (`"basic"` too) and its option tables (`[pipeline.wandb]`, `[pipeline.basic_logger]`,
 * `[pipeline.tensorboard]`) become tipi's spelling, each with a one-line note; what tipi cannot
 * do (TensorBoard) is a problem naming the key. `params = { … }` tables are tipi's too (noted).
 */
import { isTable } from "@tipi/core";
import type { ConfigProblem } from "./problems.ts";
import type { TomlDocument, TomlTable } from "./toml-document.ts";

export interface CompatResult {
  /** One line each: where, what the Python tipi wrote, and tipi's spelling. */
  readonly notes: readonly string[];
  readonly problems: readonly ConfigProblem[];
}

const FLAGS = ["enable_progress", "enable_wandb", "enable_basic_logger", "enable_tensorboard"];
/** `[pipeline.wandb]` keys that become the WandBLogger's params. */
const WANDB_OPTIONS = ["project", "entity", "name", "tags", "mode"];

/**
 * Rewrites the Python tipi's `[pipeline]` spelling in `config` (the merged config, changed in
 * place) into tipi's; `doc` locates the notes and problems.
 * @example
 * pythonTipiCompat(doc, config).notes; // ['pipeline.toml:7: [pipeline] enable_wandb = true: tipi writes logger = "wandb"']
 */
export function pythonTipiCompat(doc: TomlDocument, config: TomlTable): CompatResult {
  const located: { line: number; text: string }[] = [];
  const problems: ConfigProblem[] = [];
  const note = (path: string[], text: string) => {
    const line = doc.problem(path, "").position?.line;
    located.push({
      line: line ?? 0,
      text: `${doc.displayPath}${line === undefined ? "" : `:${line}`}: ${text}`,
    });
  };
  // In the order of the file.
  const result = (): CompatResult => ({
    notes: located.sort((a, b) => a.line - b.line).map((n) => n.text),
    problems,
  });
  noteParamsTables(config, note);
  const table = config.pipeline;
  if (!isTable(table)) return result();

  const flag = (key: string): boolean | undefined => {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") {
      problems.push(doc.problem(["pipeline", key], `must be true or false, got ${String(value)}`));
      return undefined;
    }
    return value;
  };
  const [progress, wandb, basic, tensorboard] = FLAGS.map(flag);
  for (const key of FLAGS) delete table[key];

  // `logger` (any case; "basic" is tipi's "local") wins over the enable_* flags, as in Python tipi.
  let logger: string | undefined;
  if (typeof table.logger === "string") {
    const written = table.logger;
    const lower = written.toLowerCase();
    logger = lower === "basic" ? "local" : lower;
    if (logger === "tensorboard") {
      problems.push(
        doc.problem(
          ["pipeline", "logger"],
          "TensorBoard is not supported by tipi",
          'metrics go to the run directory (logger = "local") and to W&B (logger = "wandb")',
        ),
      );
      logger = undefined;
      delete table.logger;
    } else if (logger !== written) {
      note(
        ["pipeline", "logger"],
        `[pipeline] logger = "${written}": tipi writes logger = "${logger}"`,
      );
      table.logger = logger;
    }
  } else if (table.logger === undefined) {
    if (tensorboard === true) {
      problems.push(
        doc.problem(
          ["pipeline", "enable_tensorboard"],
          "TensorBoard is not supported by tipi",
          'metrics go to the run directory (logger = "local") and to W&B (logger = "wandb"); remove enable_tensorboard',
        ),
      );
    }
    if (wandb === true) logger = "wandb";
    else if (basic === true) logger = "local";
    if (logger !== undefined) table.logger = logger;
  }
  if (wandb !== undefined)
    note(
      ["pipeline", "enable_wandb"],
      `[pipeline] enable_wandb = ${wandb}: tipi writes ${wandb ? 'logger = "wandb"' : 'logger = "local" (or nothing)'}`,
    );
  if (basic !== undefined)
    note(
      ["pipeline", "enable_basic_logger"],
      `[pipeline] enable_basic_logger = ${basic}: tipi always writes the run directory (logger = "local")`,
    );
  if (tensorboard === false)
    note(
      ["pipeline", "enable_tensorboard"],
      "[pipeline] enable_tensorboard = false: tipi has no TensorBoard; remove it",
    );
  if (progress !== undefined)
    note(
      ["pipeline", "enable_progress"],
      `[pipeline] enable_progress = ${progress}: tipi shows progress in a terminal${progress ? "" : "; write tipi run --no-progress"}`,
    );

  const wandbOptions = table.wandb;
  if (isTable(wandbOptions)) {
    delete table.wandb;
    if (logger === "wandb") {
      const params = Object.fromEntries(
        Object.entries(wandbOptions).filter(([key]) => WANDB_OPTIONS.includes(key)),
      );
      const dropped = Object.keys(wandbOptions).filter((key) => !WANDB_OPTIONS.includes(key));
      // The Python tipi's name for its W&B permanence; first, so that it finishes last.
      const permanences = isTable(config.permanences) ? config.permanences : {};
      if (!Object.values(permanences).some((p) => isTable(p) && p.type === "WandBLogger"))
        config.permanences = { wandb_logger: { type: "WandBLogger", ...params }, ...permanences };
      note(
        ["pipeline", "wandb"],
        `[pipeline.wandb]: tipi writes [permanences.wandb_logger] type = "WandBLogger"${dropped.length ? ` (${dropped.join(", ")}: tipi logs to the run directory)` : ""}`,
      );
    } else {
      note(["pipeline", "wandb"], "[pipeline.wandb] is only used with W&B logging (ignored)");
    }
  }
  for (const key of ["basic_logger", "tensorboard"]) {
    if (!isTable(table[key])) continue;
    delete table[key];
    note(
      ["pipeline", key],
      `[pipeline.${key}]: tipi writes logs and metrics to the run directory (tipi run --runs DIR); ignored`,
    );
  }
  return result();
}

/** A note for each entry written with `params = { … }` (tipi takes flat keys too). */
function noteParamsTables(config: TomlTable, note: (path: string[], text: string) => void): void {
  for (const section of ["permanences", "processes"]) {
    const entries = config[section];
    if (!isTable(entries)) continue;
    for (const [name, entry] of Object.entries(entries)) {
      if (!isTable(entry) || !isTable(entry.params)) continue;
      const flat = Object.entries(entry.params)
        .map(([k, v]) => `${k} = ${typeof v === "string" ? JSON.stringify(v) : String(v)}`)
        .join(", ");
      note(
        [section, name, "params"],
        `[${section}.${name}] params = { … }: accepted; tipi also takes the keys flat (${flat || "none"})`,
      );
    }
  }
}

const printed = new Set<string>();

/** Prints each note once per process (a sweep loads its pipeline many times), on stderr. */
export function printNotesOnce(notes: readonly string[]): void {
  for (const note of notes) {
    if (printed.has(note)) continue;
    printed.add(note);
    process.stderr.write(`note: ${note}\n`);
  }
}
