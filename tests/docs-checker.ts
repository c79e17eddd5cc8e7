/**
 * Type-checks the ```ts code blocks of markdown files in one TypeScript program.
 *
 * Each block becomes a virtual module inside `packages/tipi/.docs-check/`, so `tipi`,
 * `@tipi/*` and the root's dev dependencies resolve the way they do for a user of the
 * workspace. Nothing is written to disk. A block opts out with ```ts no-check. A block that
 * quotes a file (```ts file=examples/x/y.ts) is checked beside that file, so its relative
 * imports resolve; tests/docs.test.ts also checks that the quote matches the file. A block
 * marked ```ts continue is appended to the previous checked block of the same page, so a
 * page can build one example over several blocks.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface CodeBlock {
  /** Path of the markdown file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly flags: readonly string[];
  /**
   * `key=value` flags of the fence (`file`, `from`, `to`…), and the directive of an HTML
   * comment `<!-- key: value -->` on the last non-blank line before the fence (`example`,
   * `not-run`…).
   */
  readonly attrs: Readonly<Record<string, string>>;
  readonly code: string;
}

export interface BlockFailure {
  readonly file: string;
  /** 1-based line in the markdown file. */
  readonly line: number;
  readonly code: number;
  readonly message: string;
}

/** One checked module: a block, or a block followed by its `continue` blocks. */
interface VirtualFile {
  code: string;
  /** Each block's first line (0-based) in `code`, to map diagnostics back to the page. */
  readonly segments: { readonly block: CodeBlock; readonly firstLine: number }[];
}

const TS_LANGS = new Set(["ts", "typescript"]);
/** `<!-- name: value -->`, the directive of the block below it. */
const DIRECTIVE_COMMENT = /^<!--\s*([a-z][a-z-]*):\s*(.*?)\s*-->$/;
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/;

/** Every fenced block of a markdown text, with its language, flags and fence line. */
export function extractBlocks(markdown: string, file: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  let open: {
    fence: string;
    line: number;
    lang: string;
    flags: string[];
    directive: [string, string] | undefined;
    body: string[];
  } | null = null;
  let lastText = "";
  lines.forEach((text, index) => {
    if (open === null) {
      const m = FENCE.exec(text);
      if (m === null) {
        if (text.trim() !== "") lastText = text.trim();
        return;
      }
      const flags = (m[4] ?? "").split(/[\s,]+/).filter((f) => f.length > 0);
      // `<!-- example: path#region -->` right before a block: it quotes a region of a file
      // that its own test compiles and runs. `<!-- not-run: reason -->`: see doc-commands.ts.
      const directive = DIRECTIVE_COMMENT.exec(lastText);
      lastText = "";
      open = {
        fence: m[2] ?? "```",
        line: index + 1,
        lang: m[3] ?? "",
        flags,
        directive: directive ? [directive[1]!, directive[2]!] : undefined,
        body: [],
      };
      return;
    }
    if (text.trim().startsWith(open.fence) && text.trim().replace(/[`~]/g, "") === "") {
      const attrs = Object.fromEntries([
        ...open.flags.flatMap((f) => {
          const eq = f.indexOf("=");
          return eq > 0 ? [[f.slice(0, eq), f.slice(eq + 1)]] : [];
        }),
        ...(open.directive ? [open.directive] : []),
      ]);
      blocks.push({
        file,
        line: open.line,
        lang: open.lang,
        flags: open.flags,
        attrs,
        code: open.body.join("\n"),
      });
      open = null;
      return;
    }
    open.body.push(text);
  });
  return blocks;
}

/**
 * The TypeScript blocks this checker compiles: not marked `no-check`, and not excerpts of a
 * tested file (`<!-- example: … -->`, whose region tests/docs.test.ts checks exists).
 */
export function checkedBlocks(blocks: readonly CodeBlock[]): CodeBlock[] {
  return blocks.filter(
    (b) => TS_LANGS.has(b.lang) && !b.flags.includes("no-check") && b.attrs.example === undefined,
  );
}

/**
 * Markdown files the checker covers: the root `README.md`, `docs/**\/*.md` and each example's
 * `README.md`.
 */
export function docFiles(root = repoRoot): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".md")) out.push(relative(root, full));
    }
  };
  walk(join(root, "docs"));
  out.sort();
  const examples = readdirSync(join(root, "examples"), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, "examples", e.name, "README.md")))
    .map((e) => `examples/${e.name}/README.md`)
    .sort();
  return ["README.md", ...out, ...examples];
}

export function readBlocks(files: readonly string[], root = repoRoot): CodeBlock[] {
  return files.flatMap((f) => extractBlocks(readFileSync(join(root, f), "utf8"), f));
}

function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = join(root, "tsconfig.base.json");
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root);
  return {
    ...parsed.options,
    noEmit: true,
    // Each block is its own module even without import/export, so blocks never collide.
    moduleDetection: ts.ModuleDetectionKind.Force,
  };
}

/**
 * Type-checks `blocks` in a single program and returns one failure per diagnostic, placed at
 * the markdown line it comes from.
 */
export function checkBlocks(blocks: readonly CodeBlock[], root = repoRoot): BlockFailure[] {
  const options = compilerOptions(root);
  const virtualDir = join(root, "packages", "tipi", ".docs-check");
  const virtual = new Map<string, VirtualFile>();
  let previous: VirtualFile | undefined;
  blocks.forEach((block, i) => {
    if (block.flags.includes("continue") && previous?.segments[0]?.block.file === block.file) {
      previous.segments.push({ block, firstLine: previous.code.split("\n").length });
      previous.code = `${previous.code}\n${block.code}`;
      return;
    }
    const safe = block.file.replace(/[^A-Za-z0-9]+/g, "_");
    const quoted = block.attrs.file;
    const dir = quoted === undefined ? virtualDir : dirname(join(root, quoted));
    previous = { code: block.code, segments: [{ block, firstLine: 0 }] };
    virtual.set(join(dir, `.docs-block_${safe}_L${block.line}_${i}.ts`), previous);
  });

  const host = ts.createCompilerHost(options, true);
  const realFileExists = host.fileExists.bind(host);
  const realReadFile = host.readFile.bind(host);
  const realGetSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (f) => virtual.has(f) || realFileExists(f);
  host.readFile = (f) => virtual.get(f)?.code ?? realReadFile(f);
  host.getSourceFile = (f, languageVersion, onError, shouldCreate) => {
    const file = virtual.get(f);
    if (file !== undefined) return ts.createSourceFile(f, file.code, languageVersion, true);
    return realGetSourceFile(f, languageVersion, onError, shouldCreate);
  };
  // A block may import a dependency of any workspace package (e.g. @tensorflow/tfjs-core):
  // resolve from the block first, then as if from each package.
  const packageDirs = readdirSync(join(root, "packages")).map((p) => join(root, "packages", p));
  host.resolveModuleNameLiterals = (literals, containingFile, redirect, opts, sourceFile) =>
    literals.map((literal) => {
      const mode = ts.getModeForUsageLocation(sourceFile, literal, opts);
      const first = ts.resolveModuleName(
        literal.text,
        containingFile,
        opts,
        host,
        undefined,
        redirect,
        mode,
      );
      if (first.resolvedModule !== undefined || !virtual.has(containingFile)) return first;
      for (const dir of packageDirs) {
        const from = join(dir, "src", "index.ts");
        const r = ts.resolveModuleName(literal.text, from, opts, host, undefined, redirect, mode);
        if (r.resolvedModule !== undefined) return r;
      }
      return first;
    });

  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  const failures: BlockFailure[] = [];
  for (const [path, file] of virtual) {
    const sf = program.getSourceFile(path);
    if (sf === undefined) continue;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(sf),
      ...program.getSemanticDiagnostics(sf),
    ];
    for (const d of diagnostics) {
      const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
      const segment = file.segments.findLast((s) => s.firstLine <= line) ?? file.segments[0]!;
      failures.push({
        file: segment.block.file,
        line: segment.block.line + 1 + line - segment.firstLine,
        code: d.code,
        message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
      });
    }
  }
  return failures;
}

export function formatFailures(failures: readonly BlockFailure[]): string {
  return failures.map((f) => `${f.file}:${f.line}: TS${f.code} ${f.message}`).join("\n");
}
