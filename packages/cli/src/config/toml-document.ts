import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, relative } from "node:path";
import { nearest } from "@tipi/core/did-you-mean";
import { parse, TomlError } from "smol-toml";
import { type ConfigProblem, ConfigProblems } from "./problems.ts";
import { type KeyPath, TomlLocations } from "./toml-locator.ts";

export type TomlTable = Record<string, unknown>;

/** A parsed TOML file that can point at its own keys. */
export class TomlDocument {
  readonly #lines: string[];
  readonly #locations: TomlLocations;

  private constructor(
    /** Absolute path. */
    readonly file: string,
    readonly source: string,
    readonly data: TomlTable,
  ) {
    this.#lines = source.split(/\r?\n/);
    this.#locations = new TomlLocations(source);
  }

  /** The file as printed in messages: relative to the working directory when inside it. */
  get displayPath(): string {
    const rel = relative(process.cwd(), this.file);
    return rel.startsWith("..") || rel === "" ? this.file : rel;
  }

  /**
   * Reads and parses `file` (integers beyond 2^53 become BigInt). Throws
   * {@link ConfigProblems} with the located syntax error.
   */
  static read(file: string): TomlDocument {
    let source: string;
    try {
      source = readFileSync(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") {
        // `-c overlay.tom`: the file that is there, spelt as the user wrote the path
        const shown = displayPath(file);
        const near = nearest(basename(file), tomlFilesIn(dirname(file)));
        throw new ConfigProblems([
          {
            file: shown,
            message: "no such file",
            ...(near === undefined
              ? {}
              : {
                  hint: `did you mean "${shown.slice(0, shown.length - basename(file).length)}${near}"?`,
                }),
          },
        ]);
      }
      throw new ConfigProblems([
        { file: displayPath(file), message: `cannot read the file (${code ?? String(error)})` },
      ]);
    }
    return TomlDocument.parse(file, source);
  }

  /** Parses `source` as the contents of `file`. */
  static parse(file: string, source: string): TomlDocument {
    try {
      const data = parse(source, { integersAsBigInt: "asNeeded" }) as TomlTable;
      return new TomlDocument(file, source, data);
    } catch (error) {
      if (!(error instanceof TomlError)) throw error;
      const lines = source.split(/\r?\n/);
      const message = error.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      throw new ConfigProblems([
        {
          file: displayPath(file),
          position: { line: error.line, column: error.column },
          message: `TOML syntax error: ${message}`,
          sourceLine: lines[error.line - 1],
          hint: syntaxHint(message, lines[error.line - 1] ?? ""),
        },
      ]);
    }
  }

  /** A problem located at `path` (or its nearest written parent). */
  problem(path: KeyPath, message: string, hint?: string): ConfigProblem {
    const located = this.#locations.locate(path);
    return {
      file: this.displayPath,
      path,
      message,
      ...(hint === undefined ? {} : { hint }),
      ...(located
        ? { position: located.position, sourceLine: this.#lines[located.position.line - 1] }
        : {}),
    };
  }

  /** Every key path the scanner found (for tests). */
  locatedPaths(): string[] {
    return this.#locations.paths();
  }
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") || rel === "" ? file : rel;
}

function syntaxHint(message: string, line: string): string | undefined {
  if (/key/i.test(message) && /^\s*[\w.-]+\s*$/.test(line))
    return 'a key needs a value: write `key = "value"`';
  if (/redefine/i.test(message)) return "each table and key may be defined only once";
  if (/string/i.test(message)) return "strings are quoted: \"text\" or 'text'";
  return undefined;
}

function tomlFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(".toml"));
  } catch {
    return [];
  }
}
