/**
 * The argument forms a W&B sweep agent writes when it launches `tipi run …` (its `command:`
 * macros), rewritten into tipi's `--set key=value` before parsing. See docs/sweeps-across-machines.md.
 *
 * Always: `+key=v` / `++key=v` (Hydra), a JSON object argument (`${args_json}`) and an extra
 * argument naming a `.json` file (`${args_json_file}`). Under an agent (`WANDB_SWEEP_ID` set):
 * bare `--flag` (`${args_no_boolean_flags}`), `--key value` (`${args_no_equals}`) and Python
 * values (`True`, `None`, `['a', 1]`, `{'lr': 0.1}`).
 */
import { existsSync, readFileSync } from "node:fs";
import { type CommandDef, GLOBAL_OPTIONS } from "./definitions.ts";
import { UsageError } from "./errors.ts";

type Env = Readonly<Record<string, string | undefined>>;

const KEY = /^[A-Za-z_][\w-]*(?:\.[\w-]+)*$/;
const HYDRA = /^\+\+?([A-Za-z_][\w-]*(?:\.[\w-]+)*)=(.*)$/s;

/** The option names of `command` (and the global ones), without dashes. */
function optionNames(command: CommandDef): Set<string> {
  return new Set([...command.options, ...GLOBAL_OPTIONS].map((o) => o.name));
}

/**
 * The one rule for sweep parameters named like tipi's options: the name belongs to tipi, so
 * such a parameter is refused, except `seed`, which is `tipi run --seed` (the run's seed).
 * Returns an error message, or undefined when no name collides.
 */
export function optionCollision(command: CommandDef, names: Iterable<string>): string | undefined {
  const options = optionNames(command);
  const clashes = [...names].filter((name) => name !== "seed" && options.has(name));
  if (clashes.length === 0) return undefined;
  const list = clashes.map((n) => `"${n}"`).join(", ");
  return (
    `sweep parameter${clashes.length > 1 ? "s" : ""} ${list} ha${clashes.length > 1 ? "ve" : "s"} the name of ` +
    `tipi ${command.name}'s option${clashes.length > 1 ? "s" : ""} ${clashes.map((n) => `--${n}`).join(", ")}, ` +
    `so the agent's --${clashes[0]}=… would be read as the option; rename it in the sweep file ` +
    `to the key it sets (e.g. hyperparameters.${clashes[0]})`
  );
}

/** Whether this process was launched by a W&B sweep agent (tipi's or wandb's). */
const underSweepAgent = (env: Env): boolean =>
  (env.WANDB_SWEEP_ID ?? "") !== "" || (env.WANDB_SWEEP_PARAM_PATH ?? "") !== "";

/**
 * Rewrites a W&B agent's argument forms into `--set key=value` pairs; other arguments are
 * returned as they are. Throws {@link UsageError} for a sweep parameter that collides with an
 * option, and for a JSON argument that is not an object.
 */
export function rewriteAgentArgs(
  command: CommandDef,
  argv: readonly string[],
  env: Env = process.env,
): string[] {
  if (!command.acceptsOverrides) return [...argv];
  const agent = underSweepAgent(env);
  if (agent) checkParamFile(command, env);
  const options = optionNames(command);
  const definitions = [...command.options, ...GLOBAL_OPTIONS];
  /** `--run-dir <dir>`, `-c <file>`: an option whose value is the next argument. */
  const takesNext = (arg: string) => {
    const long = arg.startsWith("--");
    if (arg.includes("=")) return false;
    const name = long ? arg.slice(2) : arg.slice(1);
    const def = definitions.find((d) => (long ? d.name === name : d.short === name));
    return def !== undefined && def.type !== "boolean";
  };
  const out: string[] = [];
  let positionals = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (takesNext(arg)) {
      // Its value is the option's, whatever it looks like (`--set a=b`, `--run-dir x=y`).
      out.push(arg, ...argv.slice(i + 1, i + 2));
      i++;
      continue;
    }
    const hydra = HYDRA.exec(arg);
    if (hydra) {
      out.push(...setPair(hydra[1]!, hydra[2]!, agent));
      continue;
    }
    if (!arg.startsWith("-")) {
      if (positionals > 0 && arg.trimStart().startsWith("{")) {
        out.push(...jsonOverrides(arg, `a JSON argument (\${args_json})`));
        continue;
      }
      if (positionals > 0 && arg.endsWith(".json") && existsSync(arg)) {
        out.push(...jsonOverrides(readFileSync(arg, "utf8"), `${arg} (\${args_json_file})`));
        continue;
      }
      const pair = /^([A-Za-z_][\w-]*(?:\.[\w-]+)*)=(.*)$/s.exec(arg);
      if (pair && agent) out.push(...setPair(pair[1]!, pair[2]!, agent));
      else {
        if (!pair) positionals++;
        out.push(arg);
      }
      continue;
    }
    if (!agent || !arg.startsWith("--")) {
      out.push(arg);
      continue;
    }
    const body = arg.slice(2);
    const equals = body.indexOf("=");
    const name = equals === -1 ? body : body.slice(0, equals);
    const known = options.has(name) || (name.startsWith("no-") && options.has(name.slice(3)));
    if (known || !KEY.test(name)) {
      out.push(arg);
      continue;
    }
    if (equals !== -1) {
      out.push(...setPair(name, body.slice(equals + 1), agent));
      continue;
    }
    // `--flag` alone (${args_no_boolean_flags}) or `--key value` (${args_no_equals}).
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      out.push(...setPair(name, next, agent));
      i++;
    } else {
      out.push("--set", `${name}=true`);
    }
  }
  return out;
}

/** `--set key=value`, with Python values turned into TOML under an agent (dicts into dotted keys). */
function setPair(key: string, raw: string, agent: boolean): string[] {
  if (!agent) return ["--set", `${key}=${raw}`];
  if (raw === "None") return [];
  if (raw === "True" || raw === "False") return ["--set", `${key}=${raw.toLowerCase()}`];
  const trimmed = raw.trim();
  if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
    const value = pythonLiteral(trimmed);
    if (value !== undefined) return flatten(key, value);
  }
  return ["--set", `${key}=${raw}`];
}

function jsonOverrides(text: string, where: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UsageError(`${where} must be a JSON object of parameters`);
  return Object.entries(value).flatMap(([key, v]) => flatten(key, v));
}

/** `--set` pairs for a value: objects become one pair per leaf (`optimizer.lr=0.1`). */
function flatten(key: string, value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === "object" && !Array.isArray(value))
    return Object.entries(value).flatMap(([k, v]) => flatten(`${key}.${k}`, v));
  return ["--set", `${key}=${typeof value === "string" ? value : tomlLiteral(value)}`];
}

/** A JSON value as a TOML literal (strings quoted, inline tables for objects). */
function tomlLiteral(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlLiteral).join(", ")}]`;
  if (typeof value === "object" && value !== null)
    return `{ ${Object.entries(value)
      .map(
        ([k, v]) =>
          `${KEY.test(k) && !k.includes(".") ? k : JSON.stringify(k)} = ${tomlLiteral(v)}`,
      )
      .join(", ")} }`;
  return '""';
}

/** Parses a Python literal (`['a', True]`, `{'lr': 0.1}`), or undefined when it is not one. */
export function pythonLiteral(text: string): unknown {
  let json = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = "";
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\\" && j + 1 < text.length) {
          s += text[j + 1];
          j += 2;
        } else s += text[j++];
      }
      if (j >= text.length) return undefined;
      json += JSON.stringify(s);
      i = j;
      continue;
    }
    const word = /^(True|False|None)\b/.exec(text.slice(i));
    if (word) {
      json += word[1] === "True" ? "true" : word[1] === "False" ? "false" : "null";
      i += word[1]!.length - 1;
      continue;
    }
    json += c;
  }
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

/** Refuses a sweep whose parameter file (`WANDB_SWEEP_PARAM_PATH`) names one of the options. */
function checkParamFile(command: CommandDef, env: Env): void {
  const file = env.WANDB_SWEEP_PARAM_PATH;
  if (!file || !existsSync(file)) return;
  const names = readFileSync(file, "utf8")
    .split("\n")
    .map((line) => /^(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_][\w.-]*)):\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => (m[1] === undefined ? m[2]! : (JSON.parse(`"${m[1]}"`) as string)));
  const problem = optionCollision(command, names);
  if (problem) throw new UsageError(problem, `the parameters are in ${file}`);
}
