import { err, ok, type Result } from "neverthrow";
import { describeCause } from "../_internals/error-message.ts";
import { nearest } from "../did-you-mean.ts";
import { PermanenceNode } from "../graph/permanence-node.ts";
import { PipelineGraph } from "../graph/pipeline-graph.ts";
import { JoinNode, ProcessNode, type StepNode } from "../graph/step-node.ts";
import { type AnyPipeline, pipelineFromGraph } from "../pipeline/pipeline.ts";
import type { AnySchema, StandardSchemaV1 } from "../types/schema.ts";
import type { Registry } from "./registry.ts";

/** One problem in a config file: where (`["processes", "train", "epochs"]`) and what. */
export interface ConfigIssue {
  readonly path: (string | number)[];
  readonly message: string;
  readonly hint?: string;
}

/** The parsed shape of a pipeline config file (e.g. TOML). */
export interface PipelineConfig {
  readonly pipeline?: Readonly<Record<string, unknown>>;
  readonly permanences?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly processes?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

const SECTIONS = ["pipeline", "permanences", "processes"];
/** Keys of a process entry that are not params. */
const PROCESS_KEYS = ["type", "force", "join"];

type Path = (string | number)[];
type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function issue(path: Path, message: string, hint?: string): ConfigIssue {
  return hint === undefined ? { path, message } : { path, message, hint };
}

function issuePath(path: StandardSchemaV1.Issue["path"]): Path {
  return (path ?? []).map((p) => {
    const key = typeof p === "object" ? p.key : p;
    return typeof key === "number" ? key : String(key);
  });
}

function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const key of path) {
    if (!isTable(v) && !Array.isArray(v)) return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/** Splits an entry into its params and where they live (flat keys or `params = {…}`). */
function paramsOf(
  entry: Table,
  reserved: readonly string[],
  at: Path,
  issues: ConfigIssue[],
): { params: Table; base: Path } {
  const flat = Object.fromEntries(Object.entries(entry).filter(([k]) => !reserved.includes(k)));
  if (!("params" in entry)) return { params: flat, base: at };
  const nested = entry.params;
  if (!isTable(nested)) {
    issues.push(issue([...at, "params"], "must be a table of parameters"));
    return { params: {}, base: [...at, "params"] };
  }
  for (const key of Object.keys(flat)) {
    if (key === "params") continue;
    issues.push(
      issue([...at, key], "unexpected key beside `params`", "use either flat keys or params = {…}"),
    );
  }
  return { params: nested, base: [...at, "params"] };
}

/**
 * The keys an object schema accepts, when it says: from its Standard JSON Schema (zod,
 * arktype) or from valibot's `entries`. Lets unknown keys be reported even when other keys
 * fail validation.
 */
function knownKeys(schema: AnySchema): string[] | undefined {
  const standard = schema["~standard"] as { jsonSchema?: { input?: (o: object) => unknown } };
  try {
    const json = standard.jsonSchema?.input?.({ target: "draft-2020-12" });
    if (isTable(json) && json.type === "object" && isTable(json.properties)) {
      return Object.keys(json.properties);
    }
  } catch {
    // Some schemas cannot be expressed in JSON Schema; fall through.
  }
  const entries = (schema as { entries?: unknown }).entries;
  if (isTable(entries) && (schema as { type?: unknown }).type === "object") {
    return Object.keys(entries);
  }
  return undefined;
}

/** Validates params with a class's schema; collects issues (missing, ill-typed, unknown). */
function checkParams(
  schema: AnySchema | undefined,
  params: Table,
  base: Path,
  issues: ConfigIssue[],
): unknown {
  if (schema === undefined) {
    for (const key of Object.keys(params)) {
      issues.push(issue([...base, key], "unknown key: this type takes no parameters"));
    }
    return params;
  }
  const known = knownKeys(schema);
  let checked = params;
  if (known !== undefined) {
    // Report unknown keys here and validate the rest, so a strict schema does not report
    // them a second time.
    checked = {};
    for (const [key, value] of Object.entries(params)) {
      if (known.includes(key)) {
        checked[key] = value;
        continue;
      }
      const close = nearest(key, known);
      issues.push(
        issue([...base, key], "unknown key", close ? `did you mean "${close}"?` : undefined),
      );
    }
  }
  const outcome = schema["~standard"].validate(checked);
  if (outcome instanceof Promise) {
    issues.push(issue(base, "the type's params schema validates asynchronously (unsupported)"));
    return undefined;
  }
  if (outcome.issues !== undefined) {
    for (const i of outcome.issues) {
      const path = issuePath(i.path);
      const missing = path.length > 0 && valueAt(params, path) === undefined;
      issues.push(issue([...base, ...path], missing ? `missing key: ${i.message}` : i.message));
    }
    return undefined;
  }
  // Otherwise: a schema that strips unknown keys (zod, valibot objects) drops them.
  const value = outcome.value;
  if (known === undefined && isTable(value)) {
    for (const key of Object.keys(params)) {
      if (!(key in value)) {
        const close = nearest(key, Object.keys(value));
        issues.push(
          issue([...base, key], "unknown key", close ? `did you mean "${close}"?` : undefined),
        );
      }
    }
  }
  return value;
}

function unknownType(path: Path, type: string, known: string[], what: string): ConfigIssue {
  const close = nearest(type, known);
  const hint = close
    ? `did you mean "${close}"?`
    : known.length > 0
      ? `registered ${what} types: ${known.join(", ")}`
      : `no ${what} types are registered`;
  return issue(path, `unknown ${what} type "${type}"`, hint);
}

function typeOf(entry: Table, at: Path, issues: ConfigIssue[]): string | undefined {
  if (typeof entry.type === "string" && entry.type !== "") return entry.type;
  issues.push(
    issue([...at, "type"], entry.type === undefined ? "missing key `type`" : "must be a string"),
  );
  return undefined;
}

function buildPermanences(
  section: unknown,
  registry: Registry,
  issues: ConfigIssue[],
): PermanenceNode[] {
  if (section === undefined) return [];
  if (!isTable(section)) {
    issues.push(issue(["permanences"], "must be a table of permanences"));
    return [];
  }
  const nodes: PermanenceNode[] = [];
  for (const [key, entry] of Object.entries(section)) {
    const at: Path = ["permanences", key];
    if (!isTable(entry)) {
      issues.push(issue(at, "must be a table with a `type`"));
      continue;
    }
    const type = typeOf(entry, at, issues);
    if (type === undefined) continue;
    const cls = registry.permanence(type);
    if (cls === undefined) {
      issues.push(unknownType([...at, "type"], type, registry.permanenceTypes, "permanence"));
      continue;
    }
    const { params, base } = paramsOf(entry, ["type"], at, issues);
    const before = issues.length;
    const value = checkParams(cls.params, params, base, issues);
    if (issues.length > before) continue;
    nodes.push(PermanenceNode.create(key, (deps) => new cls(value, deps), type));
  }
  return nodes;
}

function buildProcesses(section: unknown, registry: Registry, issues: ConfigIssue[]): StepNode[] {
  if (section === undefined) return [];
  if (!isTable(section)) {
    issues.push(issue(["processes"], "must be a table of processes"));
    return [];
  }
  const nodes: StepNode[] = [];
  for (const [key, entry] of Object.entries(section)) {
    const at: Path = ["processes", key];
    if (!isTable(entry)) {
      issues.push(issue(at, "must be a table with a `type`"));
      continue;
    }
    if (entry.join !== undefined && entry.type === undefined) {
      if (typeof entry.join !== "string") issues.push(issue([...at, "join"], "must be a string"));
      else nodes.push(JoinNode.create(entry.join));
      continue;
    }
    const force = entry.force ?? false;
    if (typeof force !== "boolean") issues.push(issue([...at, "force"], "must be true or false"));
    const type = typeOf(entry, at, issues);
    if (type === undefined) continue;
    const cls = registry.process(type);
    if (cls === undefined) {
      issues.push(unknownType([...at, "type"], type, registry.processTypes, "process"));
      continue;
    }
    const { params, base } = paramsOf(entry, PROCESS_KEYS, at, issues);
    const before = issues.length;
    const value = checkParams(cls.params, params, base, issues);
    if (issues.length > before) continue;
    try {
      const process = new cls(value, force === true);
      nodes.push(ProcessNode.create(key, type, process, { force: force === true }));
    } catch (cause) {
      issues.push(issue(at, `could not create "${type}": ${describeCause(cause)}`));
    }
  }
  return nodes;
}

/**
 * Builds a pipeline from a parsed config object and a {@link Registry}. Every problem is
 * reported, each with its key path; nothing is built unless there are none. Processes run
 * in key order; each one's result lands in the state under its key. An entry
 * `{ join = "train" }` declares a join, filled with `provideJoin("train", …)`.
 *
 * @example
 * const built = buildPipeline(parse(toml), registry);
 * if (built.isErr()) for (const i of built.error) console.error(i.path.join("."), i.message);
 */
export function buildPipeline(
  config: unknown,
  registry: Registry,
): Result<AnyPipeline, ConfigIssue[]> {
  if (!isTable(config)) return err([issue([], "the config must be a table")]);
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(config)) {
    if (!SECTIONS.includes(key)) {
      const close = nearest(key, SECTIONS);
      issues.push(
        issue(
          [key],
          "unknown section",
          close ? `did you mean "${close}"?` : `use ${SECTIONS.join(", ")}`,
        ),
      );
    }
  }
  const meta = config.pipeline;
  if (meta !== undefined && !isTable(meta)) issues.push(issue(["pipeline"], "must be a table"));
  const name = isTable(meta) && typeof meta.name === "string" ? meta.name : "pipeline";
  const permanences = buildPermanences(config.permanences, registry, issues);
  const steps = buildProcesses(config.processes, registry, issues);
  const seen = new Set<string>();
  for (const step of steps) {
    if (step.kind === "through") continue;
    if (seen.has(step.name)) issues.push(issue(["processes", step.name], "duplicate step name"));
    seen.add(step.name);
  }
  if (issues.length > 0) return err(issues);
  let graph = PipelineGraph.cloneWithPermanences(PipelineGraph.create(name), permanences);
  for (const step of steps) graph = PipelineGraph.cloneWithStep(graph, step);
  return ok(pipelineFromGraph(graph));
}

/** Formats issues one per line: `processes.train.epochs: expected number (hint)`. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  return issues
    .map((i) => {
      const path = i.path.map((p) => (typeof p === "number" ? `[${p}]` : p)).join(".");
      const where = path === "" ? "" : `${path.replaceAll(".[", "[")}: `;
      return `${where}${i.message}${i.hint ? ` (${i.hint})` : ""}`;
    })
    .join("\n");
}
