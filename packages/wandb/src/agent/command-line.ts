// biome-ignore-all lint/suspicious/noTemplateCurlyInString: W&B command macros are literal ${name} strings
/**
 * The command line a W&B sweep agent builds for a run: the sweep's `command:` with its macros
 * expanded the way the wandb CLI's agent expands them (values printed the Python way).
 */

/** A `run` command's parameters as the controller sends them: `{ name: { value } }`. */
export type AgentRunArgs = Readonly<Record<string, { readonly value: unknown }>>;

/** The command W&B uses when a sweep has none: `${env} ${interpreter} ${program} ${args}`. */
export const WANDB_DEFAULT_COMMAND: readonly string[] = [
  "${env}",
  "${interpreter}",
  "${program}",
  "${args}",
];

/** The command `tipi sweep --wandb` writes into a sweep that has none. */
export const TIPI_DEFAULT_COMMAND: readonly string[] = ["tipi", "run", "${program}", "${args}"];

/**
 * A value as Python's `str()` prints it, which is what the wandb agent puts on the command
 * line: `True`, `None`, `1e-05`, `['a', 1]`, `{'k': 2}`.
 */
export function pythonStr(value: unknown): string {
  if (typeof value === "string") return value;
  return pythonRepr(value);
}

function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return pythonFloat(value);
  if (typeof value === "string")
    return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
      .join(", ")}}`;
  return String(value);
}

/** A number as Python prints it: integers as they are, floats in `repr`'s notation (`1e-05`). */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  const [mantissa, exponentText] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 16) return String(value);
  const sign = exponent < 0 ? "-" : "+";
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

/** `json.dumps` with Python's separators (`", "`, `": "`) and number formatting. */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") return Number.isFinite(value) ? pythonFloat(value) : "NaN";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
    .join(", ")}}`;
}

/** Every argument macro of the wandb agent, expanded for one run's parameters. */
export function argumentMacros(args: AgentRunArgs): Record<string, string[]> {
  const flags: string[] = [];
  const noHyphens: string[] = [];
  const noBooleanFlags: string[] = [];
  const noEquals: string[] = [];
  const appendHydra: string[] = [];
  const overrideHydra: string[] = [];
  const dict: Record<string, unknown> = {};
  for (const [name, { value }] of Object.entries(args)) {
    const flag = `${name}=${pythonStr(value)}`;
    flags.push(`--${flag}`);
    noHyphens.push(flag);
    noEquals.push(`--${name}`, pythonStr(value));
    appendHydra.push(`+${flag}`);
    overrideHydra.push(`++${flag}`);
    if (typeof value === "boolean") {
      if (value) noBooleanFlags.push(`--${name}`);
    } else {
      noBooleanFlags.push(`--${flag}`);
    }
    dict[name] = value;
  }
  return {
    args: flags,
    args_no_hyphens: noHyphens,
    args_no_boolean_flags: noBooleanFlags,
    args_no_equals: noEquals,
    args_append_hydra: appendHydra,
    args_override_hydra: overrideHydra,
    args_json: [pythonJson(dict)],
  };
}

export interface ExpandOptions {
  readonly args: AgentRunArgs;
  readonly program?: string;
  /** What `${args_json_file}` becomes (the agent writes the JSON there). */
  readonly argsJsonFile?: string;
  /** For `${envvar:NAME}` (kept as `NAME` when unset, as the wandb agent does). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Expands a sweep `command:` as the wandb agent does: `${envvar:X}` anywhere in an element;
 * an element that is exactly `${name}` becomes that macro's list (unknown macros vanish);
 * `${env}` is `/usr/bin/env`, `${interpreter}` is `python`.
 */
export function expandCommand(command: readonly unknown[], options: ExpandOptions): string[] {
  const env = options.env ?? process.env;
  const macros: Record<string, string[]> = {
    ...argumentMacros(options.args),
    env: ["/usr/bin/env"],
    interpreter: ["python"],
    program: options.program === undefined ? [] : [options.program],
    args_json_file: options.argsJsonFile === undefined ? [] : [options.argsJsonFile],
  };
  const out: string[] = [];
  for (const element of command) {
    const text = String(element).replace(
      /\$\{envvar:([A-Z0-9_]*)\}/g,
      (_, name: string) => env[name] ?? name,
    );
    if (text.startsWith("${") && text.endsWith("}")) out.push(...(macros[text.slice(2, -1)] ?? []));
    else out.push(text);
  }
  return out;
}

/** What `tipi run` receives for one run: the pipeline and the arguments after it. */
export interface TipiRunLine {
  readonly pipeline: string;
  readonly args: readonly string[];
}

/**
 * The `tipi run` line a sweep's command stands for: everything before `${program}` launches
 * the program (`/usr/bin/env python`, `pnpm tipi run`, …) and is replaced by tipi's own
 * `tipi run`; `${program}` is the pipeline; the rest is expanded as the wandb agent does.
 * A command without `${program}` must name the pipeline right after a `run` element.
 * @throws Error when the command names no pipeline.
 */
export function tipiRunLine(
  command: readonly unknown[] | undefined,
  options: ExpandOptions & { readonly pipeline?: string },
): TipiRunLine {
  const template = command && command.length > 0 ? command : TIPI_DEFAULT_COMMAND;
  const texts = template.map(String);
  let at = texts.indexOf("${program}");
  let pipeline = options.pipeline ?? options.program;
  if (at === -1) {
    const run = texts.indexOf("run");
    if (run === -1 || run + 1 >= texts.length)
      throw new Error(
        `the sweep's command (${texts.join(" ")}) has no \${program} and no "run <pipeline>": tipi cannot tell which pipeline to run`,
      );
    at = run + 1;
    pipeline = options.pipeline ?? texts[at];
  }
  if (pipeline === undefined || pipeline === "")
    throw new Error("the sweep has no program: pass the pipeline to run (--pipeline)");
  return { pipeline, args: expandCommand(texts.slice(at + 1), options) };
}
