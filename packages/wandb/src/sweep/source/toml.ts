/**
 * Reads a TOML sweep file with smol-toml, then recovers from the text what plain values lose:
 * the line of each `[table]` and `key = …`, and which numbers were written as floats. The
 * scan understands table headers, (dotted) bare or quoted keys and one-line values; keys
 * inside inline tables get the line of their table and no float mark.
 */
import { parse, TomlError } from "smol-toml";
import { type ParsedSource, pathKey } from "./parsed-source.ts";

const TOML_FLOAT =
  /^[-+]?(?:(?:\d[\d_]*)?(?:\.\d[\d_]*)(?:[eE][-+]?\d+)?|\d[\d_]*[eE][-+]?\d+|inf|nan)$/;

function splitKey(raw: string): string[] {
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
  let match = re.exec(raw);
  while (match) {
    parts.push(match[1] ?? match[2] ?? match[3] ?? "");
    if (re.lastIndex >= raw.length) break;
    match = re.exec(raw);
  }
  return parts;
}

/**
 * Parses TOML text.
 * @throws Error with the line of the syntax error.
 */
export function parseToml(text: string): ParsedSource {
  let value: unknown;
  try {
    value = parse(text, { integersAsBigInt: false });
  } catch (error) {
    if (error instanceof TomlError) {
      throw Object.assign(new Error(error.message.split("\n")[0] ?? "invalid TOML"), {
        line: error.line,
      });
    }
    throw error;
  }
  const floats = new Set<string>();
  const lines = new Map<string, number>();
  let table: string[] = [];
  text.split(/\r?\n/).forEach((lineText, index) => {
    const line = index + 1;
    const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/.exec(lineText);
    if (header?.[1]) {
      table = splitKey(header[1]);
      if (!lines.has(pathKey(table))) lines.set(pathKey(table), line);
      return;
    }
    const assignment = /^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=\s*(.*?)\s*(?:#.*)?$/.exec(
      lineText,
    );
    if (!assignment?.[1]) return;
    const path = [...table, ...splitKey(assignment[1])];
    lines.set(pathKey(path), line);
    const rhs = assignment[2] ?? "";
    if (TOML_FLOAT.test(rhs)) floats.add(pathKey(path));
    const inline = /^\{(.*)\}$/.exec(rhs);
    if (inline?.[1]) {
      for (const entry of inline[1].split(",")) {
        const [k, v] = entry.split("=").map((s) => s.trim());
        if (!k || v === undefined) continue;
        const inner = [...path, ...splitKey(k)];
        lines.set(pathKey(inner), line);
        if (TOML_FLOAT.test(v)) floats.add(pathKey(inner));
      }
    }
  });
  return { value, floats, lines };
}
