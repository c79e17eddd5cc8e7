import { isTable } from "@tipi/core";
import { didYouMean } from "@tipi/core/did-you-mean";
import { err, ok, type Result } from "neverthrow";
import { parse } from "smol-toml";
import type { Override } from "../cli/parse-args.ts";
import { describe } from "./pipeline-table.ts";
import type { ConfigProblem } from "./problems.ts";
import type { TomlTable } from "./toml-document.ts";

const SECTIONS = ["pipeline", "permanences", "processes"] as const;
/** Keys of an entry that are never parameters. */
const ENTRY_KEYS = ["type", "force", "join", "params"];

/** An override written into the config. */
export interface AppliedOverride {
  readonly override: Override;
  readonly path: string[];
  /** True when the value was typed as a TOML literal (no value to replace was there). */
  readonly guessed: boolean;
  /**
   * Set when the text could not take the type of the value it replaces (`workers=auto` where
   * the file has `workers = 2`): the value is the text read as a TOML literal, and this is the
   * message to report if the schema rejects it too (a union such as `"auto" | number` accepts it).
   */
  readonly mismatch?: string;
  /**
   * Another reading of the text, tried when the schema rejects the first: the TOML literal of
   * a text typed as a string (`workers=1` where the file has `workers = "auto"`).
   */
  readonly alternative?: unknown;
}

/** Why an override key lands nowhere, with what to write instead when tipi can tell. */
export interface OverrideKeyProblem {
  readonly problem: string;
  readonly hint?: string;
}

function entries(config: TomlTable, section: "permanences" | "processes"): TomlTable {
  const table = config[section];
  return isTable(table) ? table : {};
}

/** The entry's parameters table (`params = {…}` when it uses one, else the entry itself). */
function paramsPath(config: TomlTable, section: string, name: string): string[] {
  const entry = (config[section] as TomlTable | undefined)?.[name];
  return isTable(entry) && isTable(entry.params) ? [section, name, "params"] : [section, name];
}

function hasParam(config: TomlTable, section: string, name: string, key: string): boolean {
  const path = paramsPath(config, section, name);
  const table = valueAt(config, path);
  return isTable(table) && key in table;
}

export function valueAt(config: unknown, path: readonly string[]): unknown {
  let value = config;
  for (const key of path) {
    if (!isTable(value)) return undefined;
    value = value[key];
  }
  return value;
}

/**
 * Where an override key lands. Full paths (`processes.train.epochs`) are taken as written;
 * `train.epochs` finds the permanence or process named `train`; a bare `lr` goes to the one
 * entry that already has `lr`, else to the `hyperparameters` permanence (key or type
 * `Hyperparameters`). Entries written with `params = {…}` get the key inside `params`.
 * The result is the path, or why the key lands nowhere.
 */
export function resolveOverrideKey(
  config: TomlTable,
  key: string,
): Result<string[], OverrideKeyProblem> {
  const segments = key.split(".");
  const [first, ...rest] = segments as [string, ...string[]];
  const inEntry = (
    section: string,
    name: string,
    keys: string[],
  ): Result<string[], OverrideKeyProblem> => {
    if (keys.length === 0)
      return err({ problem: `"${key}" names a whole ${section.slice(0, -1)}` });
    if (ENTRY_KEYS.includes(keys[0]!)) return ok([section, name, ...keys]);
    return ok([...paramsPath(config, section, name), ...keys]);
  };
  if ((SECTIONS as readonly string[]).includes(first)) {
    if (first !== "pipeline" && rest.length >= 1) return inEntry(first, rest[0]!, rest.slice(1));
    return ok(segments);
  }
  const sections = (["permanences", "processes"] as const).filter(
    (s) => first in entries(config, s),
  );
  if (sections.length === 2)
    return err({
      problem: `"${first}" is both a permanence and a process`,
      hint: `write permanences.${key} or processes.${key}`,
    });
  if (sections.length === 1) return inEntry(sections[0]!, first, rest);
  if (rest.length > 0) {
    const names = [
      ...Object.keys(entries(config, "permanences")),
      ...Object.keys(entries(config, "processes")),
    ];
    const hint =
      didYouMean(first, names) ?? (names.length ? `entries: ${names.join(", ")}` : undefined);
    return err({
      problem: `unknown key "${key}": no permanence or process is called "${first}"`,
      ...(hint === undefined ? {} : { hint }),
    });
  }
  const holders = (["permanences", "processes"] as const).flatMap((section) =>
    Object.keys(entries(config, section))
      .filter((name) => hasParam(config, section, name, first))
      .map((name) => ({ section, name })),
  );
  const hyper = Object.entries(entries(config, "permanences")).find(
    ([name, entry]) =>
      name === "hyperparameters" || (isTable(entry) && entry.type === "Hyperparameters"),
  )?.[0];
  if (holders.length === 1) return inEntry(holders[0]!.section, holders[0]!.name, [first]);
  const preferred = holders.find((h) => h.section === "permanences" && h.name === hyper);
  if (preferred) return inEntry("permanences", preferred.name, [first]);
  if (holders.length > 1)
    return err({
      problem: `"${key}" is ambiguous`,
      hint: `write one of ${holders.map((h) => `${h.name}.${key}`).join(", ")}`,
    });
  if (hyper !== undefined) return inEntry("permanences", hyper, [first]);
  const names = [
    ...Object.keys(entries(config, "permanences")),
    ...Object.keys(entries(config, "processes")),
  ];
  return err({
    problem: `unknown key "${key}": no entry has it and there is no hyperparameters permanence`,
    hint:
      names.length > 0
        ? `write <entry>.${key}, the entry one of ${names.join(", ")}`
        : "the pipeline has no permanences or processes to set",
  });
}

/** An override's value, typed. */
export interface TypedOverride {
  readonly value: unknown;
  /** True when there was no value to replace, so `value` was read as a TOML literal. */
  readonly guessed: boolean;
}

/**
 * Types `raw` like `current` (the value it replaces). Without one, `raw` is read as a TOML
 * literal (`3`, `0.01`, `true`, `[1, 2]`, `"text"`), falling back to the text itself. The error
 * says what `raw` should have looked like.
 */
export function typeOverride(raw: string, current: unknown): Result<TypedOverride, string> {
  switch (typeof current) {
    case "number": {
      const value = Number(raw);
      return raw.trim() !== "" && Number.isFinite(value)
        ? ok({ value, guessed: false })
        : err(`expected a number (it is ${describe(current)}), got "${raw}"`);
    }
    case "bigint":
      try {
        return ok({ value: BigInt(raw), guessed: false });
      } catch {
        return err(`expected an integer, got "${raw}"`);
      }
    case "boolean":
      if (/^(true|false)$/i.test(raw))
        return ok({ value: raw.toLowerCase() === "true", guessed: false });
      return err(`expected true or false, got "${raw}"`);
    case "string":
      return ok({ value: unquote(raw), guessed: false });
    default: {
      const literal = parseLiteral(raw);
      if (current !== undefined) {
        if (literal === undefined || Array.isArray(literal) !== Array.isArray(current))
          return err(`expected ${describe(current)} written in TOML, got "${raw}"`);
        return ok({ value: literal, guessed: false });
      }
      return ok({ value: literal === undefined ? raw : literal, guessed: true });
    }
  }
}

function unquote(raw: string): string {
  const quoted = /^"(.*)"$|^'(.*)'$/s.exec(raw);
  return quoted ? (quoted[1] ?? quoted[2] ?? "") : raw;
}

function parseLiteral(raw: string): unknown {
  try {
    return parse(`v = ${raw}`, { integersAsBigInt: "asNeeded" }).v;
  } catch {
    return undefined;
  }
}

/** Writes `value` at `path`, creating tables on the way. */
export function setAt(config: TomlTable, path: readonly string[], value: unknown): void {
  let table = config;
  for (const key of path.slice(0, -1)) {
    if (!isTable(table[key])) table[key] = {};
    table = table[key] as TomlTable;
  }
  table[path.at(-1)!] = value;
}

/** Applies overrides in order to `config` (mutated); returns what was applied and problems. */
export function applyOverrides(
  config: TomlTable,
  overrides: readonly Override[],
): { applied: AppliedOverride[]; problems: ConfigProblem[] } {
  const applied: AppliedOverride[] = [];
  const problems: ConfigProblem[] = [];
  for (const override of overrides) {
    const resolved = resolveOverrideKey(config, override.key);
    if (resolved.isErr()) {
      const { problem, hint } = resolved.error;
      problems.push({
        file: "command line",
        message: `${override.source}: ${problem}`,
        ...(hint ? { hint } : {}),
      });
      continue;
    }
    const path = resolved.value;
    const current = valueAt(config, path);
    const typed = typeOverride(override.value, current);
    if (typed.isErr()) {
      // An entry's schema decides (a union may take the other type); [pipeline] has none.
      const literal = parseLiteral(override.value) ?? unquote(override.value);
      if (path[0] === "pipeline" || typeof current === "object") {
        problems.push({
          file: "command line",
          path,
          message: `${override.source}: ${typed.error}`,
        });
        continue;
      }
      setAt(config, path, literal);
      applied.push({ override, path, guessed: false, mismatch: typed.error });
      continue;
    }
    const { value, guessed } = typed.value;
    setAt(config, path, value);
    const literal = typeof current === "string" ? parseLiteral(override.value) : undefined;
    applied.push({
      override,
      path,
      guessed,
      ...(literal === undefined || typeof literal === "string" ? {} : { alternative: literal }),
    });
  }
  return { applied, problems };
}

/** Deep merge of TOML tables: tables merge, everything else replaces. */
export function mergeTables(base: TomlTable, overlay: TomlTable): TomlTable {
  const out: TomlTable = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    out[key] = isTable(current) && isTable(value) ? mergeTables(current, value) : value;
  }
  return out;
}
