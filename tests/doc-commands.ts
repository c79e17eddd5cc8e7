/**
 * Runs the shell commands of the docs, and compares the sample outputs they show with what the
 * commands really print (tests/docs-commands.test.ts).
 *
 * A page's ```sh blocks are a script, run in order in a workspace of its own: a temporary
 * folder holding a copy of `examples/` made small (the test's overrides: one epoch, 640
 * training images, 4 sweep trials; {@link EXAMPLE_PATCHES}), where the page's commands run as
 * written. Every `tipi …`, `pnpm tipi …`, `npx tipi …` (and `npm start`-style scripts that run
 * tipi) runs through the built CLI, `packages/cli/dist/bin.js`; `cd` changes the folder, `npm
 * install` in a project `tipi init` wrote links this workspace's packages (and makes its
 * pipeline small the same way), and other commands are left to their own tests. Authors mark,
 * in the markdown:
 *
 * - `<!-- not-run: reason -->` above a block: its commands are not run (they are still parsed
 *   by the CLI's argument parser, and the config overrides of a `tipi run`, `validate` or
 *   `graph` of a shipped example are checked with `tipi validate`). The reason is required.
 * - ```sh continue: start in the folder where the previous run block ended (after a `cd`);
 *   other blocks start at the workspace's root, which stands for the repository's root.
 * - ```sh exit=2: the block's last command is expected to exit with that code.
 * - a trailing `# Ctrl-C…` comment: the command is interrupted with SIGINT once it has started
 *   training, and must exit 130.
 * - ```text output: the output of the last command run before it (stdout and stderr as one
 *   stream, as a terminal shows them), compared by {@link matchOutput}.
 * - ```yaml save-as=sweep.yaml (any language): the block is written to that file of the
 *   workspace (relative to the current folder) before the next command runs.
 * - ```jsonc written=my-project/tsconfig.json: the block is that file (relative to the
 *   workspace's root) as the commands before it wrote it.
 * - `<!-- metrics: test/accuracy=0.62..0.70 -->` above a block: the run of its last command
 *   must end with these summary values in range, and the page must quote the range in percent
 *   (`62–70%`).
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { type CodeBlock, extractBlocks } from "./docs-checker.ts";

export const REPO = resolve(import.meta.dirname, "..");
export const BIN = join(REPO, "packages/cli/dist/bin.js");

/** One command of a shell line (the pieces between `&&`, `||` and `;`). */
export interface ShellCommand {
  /** 1-based line in the markdown file. */
  readonly line: number;
  /** `NAME=value` words before the command. */
  readonly env: Readonly<Record<string, string>>;
  readonly argv: readonly string[];
  /** The line's trailing `# comment`, without the `#`. */
  readonly comment: string;
  readonly text: string;
}

/** What the runner does with a command. */
export type Action =
  | { readonly kind: "tipi"; readonly args: readonly string[] }
  | { readonly kind: "cd"; readonly dir: string }
  /** `npm start`, `npm run x`, `pnpm x`: runs when the script is a tipi command. */
  | { readonly kind: "script"; readonly name: string }
  /** `npm install` with no package: in a project `tipi init` wrote, link this workspace. */
  | { readonly kind: "install" }
  /** Nothing to do here, with the reason. */
  | { readonly kind: "skip"; readonly reason: string };

/** Splits a shell word list, honouring single and double quotes; `#` starts a comment. */
function words(text: string): { words: string[]; separators: string[]; comment: string } {
  const out: string[] = [];
  const separators: string[] = [];
  let current = "";
  let started = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else current += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      started = true;
    } else if (c === "#" && !started) {
      return { words: out, separators, comment: text.slice(i + 1).trim() };
    } else if (/\s/.test(c)) {
      if (started) out.push(current);
      current = "";
      started = false;
    } else if (
      c === ";" ||
      (c === "&" && text[i + 1] === "&") ||
      (c === "|" && text[i + 1] === "|")
    ) {
      if (started) out.push(current);
      current = "";
      started = false;
      out.push("\u0000");
      separators.push(c === ";" ? ";" : c + c);
      if (c !== ";") i++;
    } else {
      current += c;
      started = true;
    }
  }
  if (started) out.push(current);
  return { words: out, separators, comment: "" };
}

/** The commands of a ```sh block, with their markdown lines. */
export function parseShell(block: Pick<CodeBlock, "code" | "line">): ShellCommand[] {
  const commands: ShellCommand[] = [];
  const lines = block.code.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let text = lines[i]!;
    while (text.endsWith("\\") && i + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++i]}`;
    const parsed = words(text);
    const pieces: string[][] = [[]];
    for (const w of parsed.words) {
      if (w === "\u0000") pieces.push([]);
      else pieces.at(-1)!.push(w);
    }
    for (const piece of pieces) {
      if (piece[0] === "$") piece.shift(); // a prompt: `$ tipi run …`
      const env: Record<string, string> = {};
      while (piece.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(piece[0]!)) {
        const [name, ...value] = piece.shift()!.split("=");
        env[name!] = value.join("=");
      }
      if (piece.length === 0) continue;
      commands.push({
        line: block.line + 1 + first,
        env,
        argv: piece,
        comment: parsed.comment,
        text: text.trim(),
      });
    }
  }
  return commands;
}

/** What `argv` is: tipi (with its arguments), a `cd`, an npm script, an install, or other. */
export function classify(argv: readonly string[]): Action {
  const [cmd, ...rest] = argv;
  if (cmd === "tipi") return { kind: "tipi", args: rest };
  if ((cmd === "npx" || cmd === "pnpm") && rest[0] === "tipi")
    return { kind: "tipi", args: rest.slice(1) };
  if ((cmd === "pnpm" && rest[0] === "-w") || (cmd === "pnpm" && rest[0] === "exec"))
    if (rest[1] === "tipi") return { kind: "tipi", args: rest.slice(2) };
  if (cmd === "cd") return { kind: "cd", dir: rest[0] ?? "." };
  if (cmd === "npm" || cmd === "pnpm") {
    const [sub, ...args] = rest;
    if (sub === "install" || sub === "i" || sub === "add" || sub === "ci") {
      if (args.includes("-g"))
        return { kind: "skip", reason: "a global install: the test has its tools" };
      const packages = args.filter((a) => !a.startsWith("-"));
      if (packages.length > 0)
        return { kind: "skip", reason: "installs from the registry (tests/consumer.test.ts does)" };
      return { kind: "install" };
    }
    if (sub === "start" || sub === "test") return { kind: "script", name: sub };
    if (sub === "run" && args[0] !== undefined) return { kind: "script", name: args[0] };
    if (cmd === "pnpm" && sub !== undefined && !sub.startsWith("-") && sub !== "tsx")
      return { kind: "script", name: sub };
  }
  return { kind: "skip", reason: "not a tipi command" };
}

/** Whether a block runs tipi: it must then run in the test or say why not. */
export function runsTipi(block: CodeBlock): boolean {
  return isShell(block) && parseShell(block).some((c) => classify(c.argv).kind === "tipi");
}

export function isShell(block: CodeBlock): boolean {
  return ["sh", "bash", "shell", "console"].includes(block.lang);
}

// ---------------------------------------------------------------------------------------------
// Sample outputs

const PLACEHOLDERS: readonly [RegExp, string][] = [
  // run ids: 20261123-142037-fyqp
  [/\b\d{8}-\d{6}-[a-z0-9]{4}\b/g, "<run-id>"],
  // dates and times: 2026-12-02 04:28:08
  [/\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?Z?)?\b/g, "<date>"],
  // durations: 14m 18s, 1.5s, 935ms, 00:03
  [/\b\d+h \d+m\b/g, "<time>"],
  [/\b\d+m \d+s\b/g, "<time>"],
  [/\b\d+(\.\d+)?(ms|s)\b/g, "<time>"],
  [/\b\d{2}:\d{2}\b/g, "<time>"],
  // numbers that depend on the data and the machine: 0.8825, 2.93e-4, 1.0e-4
  [/-?\b\d+(\.\d+)?e[-+]?\d+\b/g, "<num>"],
  [/-?\b\d+\.\d+\b/g, "<num>"],
];

/** Progress bar lines of the plain renderer (`  Batch 3/4 (75%) · …`): a terminal erases them. */
const BAR_LINE = /^\s+\S.*\b\d+\/\d+ \(\d+%\)/;

/**
 * Normalises a sample or a real output: ids, dates, durations and non-integer numbers become
 * placeholders, runs of spaces one space, a table's rule (`--  -----`) `---`, trailing spaces
 * go, and the workspace's path and `\r` disappear.
 */
export function normalise(text: string, workspace?: string): string[] {
  let out = text.replaceAll("\r", "");
  if (workspace !== undefined) out = out.replaceAll(`${workspace}/`, "").replaceAll(workspace, ".");
  for (const [pattern, by] of PLACEHOLDERS) out = out.replace(pattern, by);
  return (
    out
      .split("\n")
      .map((l) => l.replace(/[ \t]+/g, " ").trimEnd())
      // a table's rule: its widths follow the contents
      .map((l) => (/^[- ]*--[- ]*$/.test(l) ? "---" : l))
      .filter((l, i, all) => l !== "" || (i > 0 && i < all.length - 1))
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Whether `actual` is what `sample` shows, modulo {@link normalise}: `…` in a line stands for
 * any text, a line that is only `…` for any number of lines, and progress bar lines of the
 * real output are dropped unless the sample shows some. Returns `undefined` when it matches,
 * else a message with both.
 */
export function matchOutput(
  sample: string,
  actual: string,
  workspace?: string,
): string | undefined {
  const want = normalise(sample);
  const showsBars = want.some((l) => BAR_LINE.test(l));
  const got = normalise(actual, workspace).filter((l) => showsBars || !BAR_LINE.test(l));
  const pattern = want
    .map((l) =>
      l.trim() === "…" ? "(?:[^\\n]*\\n)*?" : `${l.split("…").map(escapeRegExp).join(".*?")}\\n`,
    )
    .join("");
  if (new RegExp(`^${pattern}$`, "s").test(`${got.join("\n")}\n`)) return undefined;
  return `the sample:\n${want.join("\n")}\n\nthe real output (normalised):\n${got.join("\n")}`;
}

/** A ```text block that looks like tipi's output must be marked `output` (or not-run). */
export function looksLikeTipiOutput(block: CodeBlock): boolean {
  const first = block.code.split("\n").find((l) => l.trim() !== "") ?? "";
  return (
    /^[▶✔✖] /.test(first) ||
    /^\S+\.(toml|ya?ml|ts):\d+(:\d+)?: /.test(first) ||
    /^PIPELINE\s+RUN\b/.test(first) ||
    /^trial\s+status\b/.test(first)
  );
}

// ---------------------------------------------------------------------------------------------
// The workspace

/**
 * The test's overrides, written into the workspace's copies: each `from` must be there. 640
 * training images are 10 batches, after which training logs `train/loss` (as a full run does).
 * A command that sets these keys itself runs exactly as documented.
 */
export const EXAMPLE_PATCHES: readonly { file: string; from: string; to: string }[] = [
  { file: "examples/fashion-mnist/pipeline.toml", from: "epochs = 9", to: "epochs = 1" },
  {
    file: "examples/fashion-mnist/pipeline.toml",
    from: "valFraction = 0.1",
    to: "valFraction = 0.1\ntrainLimit = 640",
  },
  { file: "examples/fashion-mnist/pipeline.ts", from: "epochs: 9,", to: "epochs: 1," },
  {
    file: "examples/fashion-mnist/pipeline.ts",
    from: "valFraction: 0.1, ...config.data",
    to: "valFraction: 0.1, trainLimit: 640, ...config.data",
  },
  { file: "examples/fashion-mnist/sweep.yaml", from: "run_cap: 12", to: "run_cap: 4" },
  {
    file: "examples/progressive/level-5/pipeline.toml",
    from: "epochs = 3",
    to: "epochs = 1\ntrainSize = 512\ntestSize = 256",
  },
];

/** The same overrides for a project `tipi init` wrote (starter or `--example fashion-mnist`). */
const PROJECT_PATCHES: Record<string, readonly { file: string; from: string; to: string }[]> = {
  starter: [
    { file: "pipeline.ts", from: "epochs: 2,", to: "epochs: 1," },
    { file: "pipeline.ts", from: "trainLimit: 4096", to: "trainLimit: 1024" },
  ],
  example: EXAMPLE_PATCHES.filter((p) => p.file.startsWith("examples/fashion-mnist/")).map((p) => ({
    ...p,
    file: p.file.slice("examples/fashion-mnist/".length),
  })),
};

function patch(root: string, patches: readonly { file: string; from: string; to: string }[]): void {
  for (const p of patches) {
    const file = join(root, p.file);
    const text = readFileSync(file, "utf8");
    if (text.includes(p.to)) continue; // a second `npm install`
    if (!text.includes(p.from))
      throw new Error(
        `${p.file} no longer holds "${p.from}": update the patches in tests/doc-commands.ts`,
      );
    writeFileSync(file, text.replace(p.from, p.to));
  }
}

/** A temporary copy of `examples/` with the test's overrides, its node_modules linked. */
export function createWorkspace(): string {
  const root = mkdtempSync(join(tmpdir(), "tipi-doc-"));
  for (const example of ["fashion-mnist", "progressive"]) {
    const from = join(REPO, "examples", example);
    const to = join(root, "examples", example);
    cpSync(from, to, {
      recursive: true,
      filter: (src) => !src.startsWith(join(from, "node_modules")),
    });
    symlinkSync(join(from, "node_modules"), join(to, "node_modules"), "dir");
  }
  patch(root, EXAMPLE_PATCHES);
  return root;
}

/** What `npm install` would put in a project `tipi init` wrote, from this workspace. */
function linkInstall(dir: string): void {
  const links: Record<string, string> = {
    tipi: join(REPO, "packages/tipi"),
    zod: join(REPO, "node_modules/zod"),
    "@tensorflow/tfjs-core": join(REPO, "node_modules/@tensorflow/tfjs-core"),
  };
  for (const [name, target] of Object.entries(links)) {
    const link = join(dir, "node_modules", name);
    if (existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link, "dir");
  }
  patch(
    dir,
    existsSync(join(dir, "pipeline.toml")) ? PROJECT_PATCHES.example! : PROJECT_PATCHES.starter!,
  );
}

// ---------------------------------------------------------------------------------------------
// Running a page

export interface CommandRun {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly code: number | null;
  readonly output: string;
  readonly ms: number;
}

export interface PageReport {
  readonly file: string;
  readonly runs: readonly CommandRun[];
  /** `file:line: what is wrong`. */
  readonly failures: readonly string[];
  /** Tipi commands not run, with the reason. */
  readonly notRun: readonly string[];
}

export interface RunOptions {
  /** Environment of every command (W&B's URL and key of a fake server, …). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Validates the arguments of a tipi command that is not run; returns a problem or nothing. */
  readonly checkArgs?: (args: readonly string[]) => string | undefined;
  /**
   * The `tipi validate <pipeline> --set …` arguments that check a not-run command's config
   * overrides, or nothing when it has none (or they cannot be checked alone, e.g. a `-c` file).
   * The runner runs them when the pipeline is in the workspace (a shipped example); the
   * command's overrides must then be valid keys and values of that pipeline.
   */
  readonly validateArgs?: (args: readonly string[]) => readonly string[] | undefined;
}

function runTipi(
  args: readonly string[],
  cwd: string,
  env: Record<string, string | undefined>,
  options: { timeoutMs: number; interrupt: boolean; outFile: string },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    // One file for stdout and stderr: their lines interleave as in a terminal.
    const fd = openSync(options.outFile, "w");
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env,
      stdio: ["ignore", fd, fd],
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    let poll: NodeJS.Timeout | undefined;
    if (options.interrupt) {
      // Ctrl-C once training has begun (its first checkpoint or batch line).
      poll = setInterval(() => {
        const text = readFileSync(options.outFile, "utf8");
        if (/Batch \d+\/\d+/.test(text)) {
          clearInterval(poll);
          child.kill("SIGINT");
        }
      }, 10);
    }
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolvePromise({ code, output: readFileSync(options.outFile, "utf8") });
    });
  });
}

function relativeDir(from: string, to: string): string {
  return to === from ? "." : to.startsWith(`${from}/`) ? to.slice(from.length + 1) : to;
}

/** Runs the blocks of one page (`file` names it in messages) in a new workspace, in order. */
export async function runPage(
  file: string,
  page: string,
  options: RunOptions = {},
): Promise<PageReport> {
  const blocks = extractBlocks(page, file);
  const root = createWorkspace();
  const runs: CommandRun[] = [];
  const failures: string[] = [];
  const notRun: string[] = [];
  let cwd = root;
  let last: CommandRun | undefined;
  let lastRunBlock = true;
  const baseEnv: Record<string, string | undefined> = {
    ...process.env,
    CI: "",
    FORCE_COLOR: "0",
    NO_COLOR: "1",
    WANDB_API_KEY: undefined,
    WANDB_BASE_URL: undefined,
    WANDB_MODE: undefined,
    TIPI_BACKEND: undefined,
    ...options.env,
  };
  try {
    for (const block of blocks) {
      const where = `${file}:${block.line}`;
      const notRunReason = block.attrs["not-run"];
      if (notRunReason !== undefined && notRunReason.trim() === "")
        failures.push(`${where}: <!-- not-run: … --> needs a reason`);
      if (block.attrs["save-as"] !== undefined && notRunReason === undefined) {
        const target = resolve(cwd, block.attrs["save-as"]);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, `${block.code}\n`);
        continue;
      }
      const written = block.attrs.written;
      if (written !== undefined && notRunReason === undefined) {
        const path = join(root, written);
        const actual = existsSync(path) ? readFileSync(path, "utf8").trim() : undefined;
        if (actual !== block.code.trim())
          failures.push(
            `${where}: is not ${written} as the commands above wrote it:\n${actual ?? "(no such file)"}`,
          );
        continue;
      }
      if (block.flags.includes("output")) {
        if (notRunReason !== undefined) continue;
        if (!lastRunBlock || last === undefined) {
          failures.push(
            `${where}: an output block after a block that did not run (mark it not-run too)`,
          );
          continue;
        }
        const problem = matchOutput(block.code, last.output, root);
        if (problem !== undefined)
          failures.push(
            `${where}: does not match the output of \`${last.text}\` (${last.file}:${last.line})\n${problem}`,
          );
        continue;
      }
      if (block.lang === "text" && notRunReason === undefined && looksLikeTipiOutput(block)) {
        failures.push(
          `${where}: looks like tipi's output: mark it \`\`\`text output (or <!-- not-run: reason -->)`,
        );
        continue;
      }
      if (!isShell(block)) continue;
      const commands = parseShell(block);
      if (!commands.some((c) => classify(c.argv).kind !== "skip")) continue;
      if (notRunReason !== undefined) {
        lastRunBlock = false;
        const blockCwd = block.flags.includes("continue") ? cwd : root;
        for (const c of commands) {
          const action = classify(c.argv);
          if (action.kind !== "tipi") continue;
          notRun.push(`${file}:${c.line}: ${c.text} (${notRunReason})`);
          const problem = options.checkArgs?.(action.args);
          if (problem !== undefined) {
            failures.push(`${file}:${c.line}: \`${c.text}\`: ${problem}`);
            continue;
          }
          const check = options.validateArgs?.(action.args);
          if (check?.[1] === undefined || !existsSync(resolve(blockCwd, check[1]))) continue;
          const outFile = join(root, `.out-check-${notRun.length}.txt`);
          const { code, output } = await runTipi(check, blockCwd, baseEnv, {
            timeoutMs: options.timeoutMs ?? 120_000,
            interrupt: false,
            outFile,
          });
          rmSync(outFile, { force: true });
          if (code !== 0)
            failures.push(
              `${file}:${c.line}: \`${c.text}\`: its overrides fail \`tipi ${check.join(" ")}\` (exit ${code}):\n${output.trimEnd()}`,
            );
        }
        continue;
      }
      lastRunBlock = true;
      cwd = block.flags.includes("continue") ? cwd : root;
      const expectedExit = Number(block.attrs.exit ?? 0);
      let failed = false;
      for (const [index, c] of commands.entries()) {
        if (failed) break;
        let action = classify(c.argv);
        if (action.kind === "script") {
          const pkgFile = join(cwd, "package.json");
          const script = existsSync(pkgFile)
            ? (JSON.parse(readFileSync(pkgFile, "utf8")) as { scripts?: Record<string, string> })
                .scripts?.[action.name]
            : undefined;
          action =
            script?.startsWith("tipi ") === true
              ? { kind: "tipi", args: parseShell({ code: script, line: 0 })[0]!.argv.slice(1) }
              : { kind: "skip", reason: `the ${action.name} script is not a tipi command` };
        }
        if (action.kind === "skip") continue;
        if (action.kind === "cd") {
          cwd = resolve(cwd, action.dir);
          if (!existsSync(cwd)) {
            failures.push(`${file}:${c.line}: cd ${action.dir}: no such folder`);
            failed = true;
          }
          continue;
        }
        if (action.kind === "install") {
          if (existsSync(join(cwd, "package.json")) && cwd !== root) linkInstall(cwd);
          continue;
        }
        const env = { ...baseEnv };
        for (const [name, value] of Object.entries(c.env)) {
          // `NAME=…` in the docs: the test's value (a fake W&B key, …).
          env[name] = value === "…" ? (baseEnv[name] ?? "") : value;
        }
        const interrupt = /^ctrl-c\b/i.test(c.comment);
        const isLast = index === commands.length - 1;
        const expected = interrupt ? 130 : isLast ? expectedExit : 0;
        const started = performance.now();
        const outFile = join(root, `.out-${runs.length}.txt`);
        const { code, output } = await runTipi(action.args, cwd, env, {
          timeoutMs: options.timeoutMs ?? 120_000,
          interrupt,
          outFile,
        });
        rmSync(outFile, { force: true });
        last = {
          file,
          line: c.line,
          text: c.text,
          args: action.args,
          cwd: relativeDir(root, cwd),
          code,
          output,
          ms: performance.now() - started,
        };
        runs.push(last);
        if (code !== expected) {
          failures.push(
            `${file}:${c.line}: \`${c.text}\` (in ${last.cwd}) exited ${code}, expected ${expected}:\n${output.split("\n").slice(-15).join("\n")}`,
          );
          failed = true;
        }
      }
      const metrics = block.attrs.metrics;
      if (metrics !== undefined && !failed && last !== undefined) {
        failures.push(...checkMetrics(`${file}:${block.line}`, metrics, last, root, page));
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return { file, runs, failures, notRun };
}

/** `<!-- metrics: key=min..max, … -->`: the summary of the run that `run` printed. */
function checkMetrics(
  where: string,
  spec: string,
  run: CommandRun,
  root: string,
  page: string,
): string[] {
  const dir = /· (\S+)\s*$/m.exec(run.output.trimEnd().split("\n").at(-1) ?? "")?.[1];
  if (dir === undefined)
    return [`${where}: metrics: no run directory in the output of \`${run.text}\``];
  const summary = JSON.parse(
    readFileSync(join(resolve(root, run.cwd), dir, "summary.json"), "utf8"),
  ) as Record<string, unknown>;
  const problems: string[] = [];
  for (const item of spec.split(",").map((s) => s.trim())) {
    const m = /^(\S+)=(\d*\.?\d+)\.\.(\d*\.?\d+)$/.exec(item);
    if (m === null) {
      problems.push(`${where}: metrics: cannot read "${item}" (key=min..max)`);
      continue;
    }
    const [, key, min, max] = m;
    const value = summary[key!] ?? (summary.values as Record<string, unknown> | undefined)?.[key!];
    if (typeof value !== "number" || value < Number(min) || value > Number(max))
      problems.push(`${where}: ${key} is ${String(value)}, the page says ${min}..${max}`);
    const percent = (v: string) => String(Math.round(Number(v) * 100));
    if (key!.includes("accuracy") && !page.includes(`${percent(min!)}–${percent(max!)}%`))
      problems.push(`${where}: the page should quote ${key} as ${percent(min!)}–${percent(max!)}%`);
  }
  return problems;
}
