/** A 1-based line and column in a source file. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

export type KeyPath = readonly (string | number)[];

/**
 * Where each key of a (valid) TOML document is written, so that problems found later (by
 * the schema of a process, say) can point at `file:line:column`. smol-toml gives no
 * positions, hence this small scanner; it only has to understand documents the parser
 * already accepted.
 */
export class TomlLocations {
  readonly #positions = new Map<string, SourcePosition>();

  constructor(source: string) {
    new Scanner(source, this.#positions).document();
  }

  /** The position of `path`'s key, or of its longest written prefix (exact = false). */
  locate(path: KeyPath): { position: SourcePosition; exact: boolean } | undefined {
    for (let length = path.length; length > 0; length--) {
      const position = this.#positions.get(pathKey(path.slice(0, length)));
      if (position) return { position, exact: length === path.length };
    }
    return undefined;
  }

  /** Every located key path (for tests and debugging). */
  paths(): string[] {
    return [...this.#positions.keys()];
  }
}

function pathKey(path: KeyPath): string {
  return JSON.stringify(path);
}

const BARE_KEY = /[A-Za-z0-9_-]/;

class Scanner {
  #i = 0;
  #line = 1;
  #lineStart = 0;
  readonly #arrayTableCounts = new Map<string, number>();

  constructor(
    readonly source: string,
    readonly positions: Map<string, SourcePosition>,
  ) {}

  document(): void {
    let table: KeyPath = [];
    while (this.#i < this.source.length) {
      this.skipBlank(true);
      if (this.#i >= this.source.length) break;
      const c = this.source[this.#i];
      if (c === "[") {
        const arrayTable = this.source[this.#i + 1] === "[";
        this.#i += arrayTable ? 2 : 1;
        this.skipBlank(false);
        const start = this.position();
        const keys = this.key();
        if (arrayTable) {
          const counter = pathKey(keys);
          const index = this.#arrayTableCounts.get(counter) ?? 0;
          this.#arrayTableCounts.set(counter, index + 1);
          this.record(keys, start);
          table = [...keys, index];
        } else {
          table = keys;
        }
        this.record(table, start);
        this.skipToLineEnd();
      } else {
        this.keyValue(table);
        this.skipToLineEnd();
      }
    }
  }

  keyValue(table: KeyPath): void {
    const start = this.position();
    const keys = this.key(table);
    const path = [...table, ...keys];
    this.record(path, start);
    this.skipBlank(false);
    if (this.source[this.#i] === "=") this.#i++;
    this.skipBlank(false);
    this.value(path);
  }

  /** A dotted key; records every prefix below `table` at its own segment's position. */
  key(table: KeyPath = []): string[] {
    const keys: string[] = [];
    for (;;) {
      this.skipBlank(false);
      const position = this.position();
      keys.push(this.keySegment());
      this.record([...table, ...keys], position);
      this.skipBlank(false);
      if (this.source[this.#i] !== ".") return keys;
      this.#i++;
    }
  }

  keySegment(): string {
    const c = this.source[this.#i];
    if (c === '"' || c === "'") {
      const start = this.#i;
      this.string();
      const raw = this.source.slice(start, this.#i);
      return c === "'" ? raw.slice(1, -1) : (JSON.parse(raw) as string);
    }
    const start = this.#i;
    while (this.#i < this.source.length && BARE_KEY.test(this.source[this.#i]!)) this.#i++;
    return this.source.slice(start, this.#i);
  }

  value(path: KeyPath): void {
    const c = this.source[this.#i];
    if (c === '"' || c === "'") this.string();
    else if (c === "{") this.inlineTable(path);
    else if (c === "[") this.array(path);
    else
      while (this.#i < this.source.length && !/[,\]}#\r\n]/.test(this.source[this.#i]!)) this.#i++;
  }

  inlineTable(path: KeyPath): void {
    this.#i++;
    for (;;) {
      this.skipBlank(true);
      const c = this.source[this.#i];
      if (c === undefined) return;
      if (c === "}") {
        this.#i++;
        return;
      }
      if (c === ",") {
        this.#i++;
        continue;
      }
      const start = this.position();
      const keys = this.key(path);
      this.record([...path, ...keys], start);
      this.skipBlank(false);
      if (this.source[this.#i] === "=") this.#i++;
      this.skipBlank(false);
      this.value([...path, ...keys]);
    }
  }

  array(path: KeyPath): void {
    this.#i++;
    let index = 0;
    for (;;) {
      this.skipBlank(true);
      const c = this.source[this.#i];
      if (c === undefined) return;
      if (c === "]") {
        this.#i++;
        return;
      }
      if (c === ",") {
        this.#i++;
        index++;
        continue;
      }
      this.record([...path, index], this.position());
      this.value([...path, index]);
    }
  }

  string(): void {
    const quote = this.source[this.#i]!;
    const triple = this.source.startsWith(quote.repeat(3), this.#i);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.#i += delimiter.length;
    while (this.#i < this.source.length) {
      const c = this.source[this.#i]!;
      if (quote === '"' && c === "\\") {
        this.#i += 2;
        continue;
      }
      if (this.source.startsWith(delimiter, this.#i)) {
        this.#i += delimiter.length;
        // a multi-line string may end with up to two extra quotes
        while (triple && this.source[this.#i] === quote) this.#i++;
        return;
      }
      if (c === "\n") this.newline();
      this.#i++;
    }
  }

  skipBlank(newlines: boolean): void {
    while (this.#i < this.source.length) {
      const c = this.source[this.#i]!;
      if (c === " " || c === "\t" || c === "\r") this.#i++;
      else if (c === "#") this.skipComment();
      else if (c === "\n" && newlines) {
        this.newline();
        this.#i++;
      } else return;
    }
  }

  skipComment(): void {
    while (this.#i < this.source.length && this.source[this.#i] !== "\n") this.#i++;
  }

  skipToLineEnd(): void {
    while (this.#i < this.source.length && this.source[this.#i] !== "\n") {
      if (this.source[this.#i] === "#") this.skipComment();
      else this.#i++;
    }
  }

  newline(): void {
    this.#line++;
    this.#lineStart = this.#i + 1;
  }

  position(): SourcePosition {
    return { line: this.#line, column: this.#i - this.#lineStart + 1 };
  }

  record(path: KeyPath, position: SourcePosition): void {
    const key = pathKey(path);
    if (!this.positions.has(key)) this.positions.set(key, position);
  }
}
