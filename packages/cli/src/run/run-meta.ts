import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { VERSION } from "../version.ts";

function gitCommit(cwd: string): string | undefined {
  const git = (args: string[]) =>
    execFileSync("git", args, { cwd, stdio: ["ignore", "pipe", "ignore"], timeout: 2000 })
      .toString()
      .trim();
  try {
    const commit = git(["rev-parse", "HEAD"]);
    const dirty = git(["status", "--porcelain", "--untracked-files=no"]);
    return dirty === "" ? commit : `${commit}-dirty`;
  } catch {
    return undefined;
  }
}

/** The installed tfjs-core version, read from its package.json without loading tfjs. */
function tfjsVersion(): string | undefined {
  try {
    const tfjsEntry = createRequire(import.meta.url).resolve("@tipi/tfjs/package.json");
    const require = createRequire(tfjsEntry);
    const main = require.resolve("@tensorflow/tfjs-core");
    let dir = dirname(main);
    for (let i = 0; i < 5; i++, dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === "@tensorflow/tfjs-core") return pkg.version;
      } catch {
        // keep walking up
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** What `meta.json` records besides what the run store adds (node, host, pid, time). */
export function runMeta(options: {
  readonly pipelineFile: string;
  readonly seed: number | undefined;
  /** The backend the config asks for; the resolved one is the Device permanence's to report. */
  readonly backend?: string | undefined;
  readonly argv: readonly string[];
  readonly resumedFrom?: string;
  /** How the config was made (`-c` files, overrides, seed): what `--resume` re-applies. */
  readonly recipe?: unknown;
}): Record<string, unknown> {
  return {
    tipi: VERSION,
    tfjs: tfjsVersion(),
    seed: options.seed,
    ...(options.backend ? { backendRequested: options.backend } : {}),
    git: gitCommit(dirname(options.pipelineFile)),
    argv: ["tipi", ...options.argv],
    cwd: process.cwd(),
    pipelineFile: options.pipelineFile,
    platform: `${process.platform}-${process.arch}`,
    ...(options.resumedFrom ? { resumedFrom: options.resumedFrom } : {}),
    ...(options.recipe === undefined ? {} : { recipe: options.recipe }),
  };
}
