/**
 * Keeps text that a step prints (console.log, process.stdout.write) above a redrawn frame of
 * progress bars. The frame writer (listr2's log-update) gets a stream of its own; every
 * frame it writes is remembered, and user text is written by erasing that frame, printing
 * the text, and replaying the frame, so log-update's idea of the screen stays true.
 */
const ESC = "\u001B[";
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ERASE_PREFIX = /^(?:\u001B\[2K(?:\u001B\[1A)?)*(?:\u001B\[G)?/;

type Write = (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;

export class LiveOutput {
  #frame = "";
  #active = false;
  readonly #realStdout: Write;
  readonly #realStderr: Write;
  readonly #partial = { stdout: "", stderr: "" };

  constructor(
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.#realStdout = stdout.write.bind(stdout) as Write;
    this.#realStderr = stderr.write.bind(stderr) as Write;
  }

  /** A stream for the frame writer: writes go to the terminal and are remembered. */
  frameStream(): NodeJS.WriteStream {
    const write: Write = (chunk, ...rest) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
      if (text.includes("\n")) this.#frame = text.replace(ERASE_PREFIX, "");
      return this.#realStdout(chunk, ...rest);
    };
    const stream = {
      write,
      columns: this.stdout.columns,
      rows: this.stdout.rows,
      isTTY: this.stdout.isTTY,
      on: () => stream,
      once: () => stream,
      off: () => stream,
      removeListener: () => stream,
    };
    return stream as unknown as NodeJS.WriteStream;
  }

  /** Starts routing the process's own stdout/stderr writes above the frame. */
  capture(): void {
    if (this.#active) return;
    this.#active = true;
    this.stdout.write = this.#userWrite("stdout") as NodeJS.WriteStream["write"];
    this.stderr.write = this.#userWrite("stderr") as NodeJS.WriteStream["write"];
  }

  /** Stops routing; prints any unterminated text. */
  release(): void {
    if (!this.#active) return;
    this.#active = false;
    this.stdout.write = this.#realStdout as NodeJS.WriteStream["write"];
    this.stderr.write = this.#realStderr as NodeJS.WriteStream["write"];
    if (this.#partial.stdout) this.#realStdout(`${this.#partial.stdout}\n`);
    if (this.#partial.stderr) this.#realStderr(`${this.#partial.stderr}\n`);
    this.#partial.stdout = "";
    this.#partial.stderr = "";
  }

  /** Forget the frame (after the frame writer cleared or finished it). */
  forgetFrame(): void {
    this.#frame = "";
  }

  #userWrite(name: "stdout" | "stderr"): Write {
    return (chunk, ...rest) => {
      const text =
        this.#partial[name] + (typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());
      const end = text.lastIndexOf("\n");
      this.#partial[name] = text.slice(end + 1);
      if (end >= 0) this.#above(name, text.slice(0, end + 1));
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      callback?.();
      return true;
    };
  }

  #above(name: "stdout" | "stderr", lines: string): void {
    const frameLines = this.#frame === "" ? 0 : this.#frame.split("\n").length;
    if (frameLines > 0) this.#realStdout(eraseLines(frameLines));
    if (name === "stdout") this.#realStdout(lines);
    else this.#realStderr(lines);
    if (this.#frame !== "") this.#realStdout(this.#frame);
  }
}

function eraseLines(count: number): string {
  let out = "";
  for (let i = 0; i < count; i++) out += `${ESC}2K${i < count - 1 ? `${ESC}1A` : ""}`;
  return `${out}${ESC}G`;
}
