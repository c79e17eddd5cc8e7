import { didYouMean } from "@tipi/core/did-you-mean";
import { type CommandDef, GLOBAL_OPTIONS, type OptionDef } from "./definitions.ts";
import { UsageError } from "./errors.ts";
import { rewriteAgentArgs } from "./wandb-agent-args.ts";

export type OptionValue = string | number | boolean | string[] | number[];

/** A config override from the command line (`--set a.b=v`, `a.b=v` or `--a.b=v`). */
export interface Override {
  readonly key: string;
  readonly value: string;
  /** How it was written, for error messages. */
  readonly source: string;
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, OptionValue | undefined>>;
  /** In command-line order; later ones win. */
  readonly overrides: readonly Override[];
}

const OVERRIDE = /^([A-Za-z_][\w-]*(?:\.[\w-]+)*)=(.*)$/s;

/**
 * `--epochs 2` on a command that takes config overrides: the user meant the config key, which
 * is written `--epochs=2` (or `--set epochs=2`).
 */
function configValueHint(
  command: CommandDef,
  name: string | undefined,
  next: string | undefined,
): string | undefined {
  if (!command.acceptsOverrides || name === undefined || !/^[A-Za-z_][\w.-]*$/.test(name))
    return undefined;
  const value = next !== undefined && !next.startsWith("-") ? next : "<value>";
  return `a config value is written with "=": --${name}=${value} (or --set ${name}=${value})`;
}

/**
 * Parses `argv` (after the command name) against a command's definition. Throws
 * {@link UsageError} for unknown options, missing values and bad numbers.
 */
export function parseArgs(command: CommandDef, rawArgv: readonly string[]): ParsedArgs {
  // A W&B sweep agent's argument forms (${args_json}, +key=v, True, …) become --set pairs.
  const argv = rewriteAgentArgs(command, rawArgv);
  const definitions = [...command.options, ...GLOBAL_OPTIONS];
  const byName = new Map(definitions.map((d) => [d.name, d]));
  const byShort = new Map(definitions.filter((d) => d.short).map((d) => [d.short!, d]));
  const positionals: string[] = [];
  const options: Record<string, OptionValue | undefined> = {};
  const overrides: Override[] = [];
  for (const d of definitions) if (d.default !== undefined) options[d.name] = d.default;

  const assign = (definition: OptionDef, raw: string | boolean, written: string) => {
    const value =
      definition.type === "number" && typeof raw === "string" ? toNumber(raw, written) : raw;
    if (definition.repeatable) {
      const list = (options[definition.name] as (string | number)[] | undefined) ?? [];
      options[definition.name] = [...list, value as string | number] as OptionValue;
    } else {
      options[definition.name] = value;
    }
  };

  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || arg === "-" || !arg.startsWith("-")) {
      const override = command.acceptsOverrides && !onlyPositionals ? OVERRIDE.exec(arg) : null;
      if (override) overrides.push({ key: override[1]!, value: override[2]!, source: arg });
      else positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    const long = arg.startsWith("--");
    const body = long ? arg.slice(2) : arg.slice(1);
    const equals = body.indexOf("=");
    const name = equals === -1 ? body : body.slice(0, equals);
    const inline = equals === -1 ? undefined : body.slice(equals + 1);
    let definition = long ? byName.get(name) : byShort.get(name);
    let negated = false;
    if (!definition && long && name.startsWith("no-")) {
      const positive = byName.get(name.slice(3));
      if (positive?.type === "boolean") {
        definition = positive;
        negated = true;
      }
    }
    if (!definition) {
      if (long && inline !== undefined && command.acceptsOverrides && OVERRIDE.test(body)) {
        overrides.push({ key: name, value: inline, source: arg });
        continue;
      }
      const known = definitions.map((d) => `--${d.name}`);
      throw new UsageError(
        `unknown option ${long ? `--${name}` : `-${name}`} for "tipi ${command.name}"`,
        didYouMean(`--${name}`, known) ??
          configValueHint(command, long && inline === undefined ? name : undefined, argv[i + 1]) ??
          `see "tipi ${command.name} --help"`,
      );
    }
    if (definition.type === "boolean") {
      if (inline !== undefined) {
        if (!/^(true|false)$/.test(inline))
          throw new UsageError(`--${definition.name} takes no value (got "${inline}")`);
        assign(definition, (inline === "true") !== negated, arg);
      } else {
        assign(definition, !negated, arg);
      }
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-" && !/^-\d/.test(next))) {
        throw new UsageError(
          `option --${definition.name} needs a value${definition.value ? ` <${definition.value}>` : ""}`,
        );
      }
      value = next;
      i++;
    }
    if (definition.name === "set") {
      const override = OVERRIDE.exec(value);
      if (!override) {
        // `--set epochs 2`: the value went to the next argument
        const next = argv[i + 1];
        const example = /^[A-Za-z_][\w.-]*$/.test(value)
          ? `--set ${value}=${next !== undefined && !next.startsWith("-") ? next : "<value>"}`
          : "--set hyperparameters.epochs=3";
        throw new UsageError(
          `--set expects key=value, got "${value}"`,
          `write it as one argument: ${example}`,
        );
      }
      overrides.push({ key: override[1]!, value: override[2]!, source: `--set ${value}` });
      continue;
    }
    assign(definition, value, arg);
  }

  const required = command.arguments.filter((a) => a.required).length;
  if (!options.help && positionals.length < required) {
    const missing = command.arguments[positionals.length]!;
    throw new UsageError(
      `"tipi ${command.name}" needs <${missing.name}>`,
      `usage: ${usageLine(command)}`,
    );
  }
  if (positionals.length > command.arguments.length) {
    const extra = positionals[command.arguments.length]!;
    throw new UsageError(
      `unexpected argument "${extra}" for "tipi ${command.name}"`,
      command.acceptsOverrides ? "config overrides are written key=value" : undefined,
    );
  }
  return { positionals, options, overrides };
}

function toNumber(raw: string, written: string): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value))
    throw new UsageError(`${written} expects a number, got "${raw}"`);
  return value;
}

/** `tipi run <pipeline> [options] [key=value…]` */
export function usageLine(command: CommandDef): string {
  const args = command.arguments.map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`));
  return [
    "tipi",
    command.name,
    ...args,
    ...(command.options.length > 0 ? ["[options]"] : []),
    ...(command.acceptsOverrides ? ["[key=value…]"] : []),
  ].join(" ");
}
