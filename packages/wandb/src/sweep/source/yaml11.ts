/**
 * Reads YAML the way the wandb CLI does (PyYAML `safe_load`, YAML 1.1): plain scalars are
 * resolved with PyYAML's own rules, so `1e-5` (no dot) stays the string "1e-5", `yes`/`on` are
 * booleans, `010` is octal. Keeps what JSON-like values lose: whether a number was written as
 * a float (`10.0` picks `uniform` where `10` picks `int_uniform`) and the line of every key.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import { type ParsedSource, pathKey, type SourcePath } from "./parsed-source.ts";

const PY_INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const PY_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PY_NULL = /^(?:~|null|Null|NULL|)$/;

const FLOAT_TAG = "tag:yaml.org,2002:float";

type Resolved = { value: unknown; float: boolean };

/** Base-60 numbers (`1:30` = 90), a YAML 1.1 relic PyYAML still honours. */
function sexagesimal(text: string): number {
  const sign = text.startsWith("-") ? -1 : 1;
  const digits = text.replace(/^[-+]/, "").split(":");
  return sign * digits.reduce((acc, part) => acc * 60 + Number.parseFloat(part), 0);
}

function resolveInt(raw: string): number {
  const text = raw.replace(/_/g, "");
  if (text.includes(":")) return sexagesimal(text);
  const sign = text.startsWith("-") ? -1 : 1;
  const body = text.replace(/^[-+]/, "");
  if (body.startsWith("0b")) return sign * Number.parseInt(body.slice(2), 2);
  if (body.startsWith("0x")) return sign * Number.parseInt(body.slice(2), 16);
  if (body.length > 1 && body.startsWith("0")) return sign * Number.parseInt(body.slice(1), 8);
  return sign * Number.parseInt(body, 10);
}

function resolveFloat(raw: string): number {
  const text = raw.replace(/_/g, "");
  const lower = text.toLowerCase();
  if (lower.endsWith(".nan")) return Number.NaN;
  if (lower.endsWith(".inf")) return text.startsWith("-") ? -Infinity : Infinity;
  if (text.includes(":")) return sexagesimal(text);
  return Number.parseFloat(text);
}

/** PyYAML's implicit resolution of a plain (unquoted, untagged) scalar. */
export function resolvePlainScalar(text: string): Resolved {
  if (PY_NULL.test(text)) return { value: null, float: false };
  if (PY_TRUE.test(text)) return { value: true, float: false };
  if (PY_FALSE.test(text)) return { value: false, float: false };
  if (PY_INT.test(text)) return { value: resolveInt(text), float: false };
  if (PY_FLOAT.test(text)) return { value: resolveFloat(text), float: true };
  return { value: text, float: false };
}

function resolveScalar(node: Node & { type?: string; tag?: string; value: unknown }): Resolved {
  const source = node.srcToken && "source" in node.srcToken ? node.srcToken.source : undefined;
  if (
    node.tag === undefined &&
    node.type === "PLAIN" &&
    typeof source === "string" &&
    !source.includes("\n")
  ) {
    return resolvePlainScalar(source);
  }
  return { value: node.value, float: node.tag === FLOAT_TAG };
}

/**
 * Parses YAML text with YAML 1.1 (PyYAML) scalar rules.
 * @throws Error with the line of the first syntax error.
 */
export function parseYaml11(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: "1.1",
    keepSourceTokens: true,
    lineCounter,
    uniqueKeys: false,
  });
  const firstError = doc.errors[0];
  if (firstError) {
    const line = firstError.linePos?.[0]?.line;
    throw Object.assign(new Error(firstError.message.split("\n")[0] ?? "invalid YAML"), { line });
  }
  const floats = new Set<string>();
  const lines = new Map<string, number>();
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;

  const walk = (node: unknown, path: SourcePath): unknown => {
    if (isAlias(node)) return walk(node.resolve(doc), path);
    if (isScalar(node)) {
      const resolved = resolveScalar(node);
      if (resolved.float) floats.add(pathKey(path));
      return resolved.value;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key;
        const key = isScalar(keyNode) ? String(resolveScalar(keyNode).value) : String(keyNode);
        const childPath = [...path, key];
        const line = lineOf(isScalar(keyNode) ? keyNode.range?.[0] : undefined);
        if (line !== undefined) lines.set(pathKey(childPath), line);
        if (key === "<<") {
          const merged = walk(pair.value, path);
          for (const source of Array.isArray(merged) ? merged : [merged]) {
            if (source && typeof source === "object") {
              for (const [k, v] of Object.entries(source)) if (!(k in out)) out[k] = v;
            }
          }
          continue;
        }
        out[key] = walk(pair.value, childPath);
      }
      return out;
    }
    if (isSeq(node)) {
      return node.items.map((item, i) => {
        const childPath = [...path, i];
        const line = lineOf((item as { range?: [number, number, number] } | null)?.range?.[0]);
        if (line !== undefined) lines.set(pathKey(childPath), line);
        return walk(item, childPath);
      });
    }
    return node ?? null;
  };

  return { value: walk(doc.contents, []), floats, lines };
}
