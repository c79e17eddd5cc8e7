import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { nearest } from "@tipi/core/did-you-mean";
import { UsageError } from "../cli/errors.ts";
import type { Target } from "../config/resolve-target.ts";

const SWEEP_EXTENSIONS = [".yaml", ".yml", ".toml"];

/**
 * What a person gets wrong first with `tipi sweep <pipeline> <sweep-file>`: the two swapped,
 * a sweep file that is not there, a `.ts` pipeline (trials get their parameters as `--set`,
 * which only a TOML pipeline takes). Each is a usage error whose hint is the command to type.
 */
export function checkSweepArguments(pipeline: string, sweepFile: string): void {
  if (
    [".yaml", ".yml"].includes(extname(pipeline)) &&
    !SWEEP_EXTENSIONS.slice(0, 2).includes(extname(sweepFile))
  )
    throw new UsageError(
      `${pipeline} looks like the sweep file: the pipeline comes first`,
      `npx tipi sweep ${sweepFile} ${pipeline}`,
    );
  if (!existsSync(resolve(sweepFile))) {
    let near: string | undefined;
    try {
      const files = readdirSync(dirname(resolve(sweepFile))).filter((f) =>
        SWEEP_EXTENSIONS.includes(extname(f)),
      );
      near = nearest(basename(sweepFile), files);
    } catch {
      near = undefined;
    }
    const prefix = sweepFile.slice(0, sweepFile.length - basename(sweepFile).length);
    throw new UsageError(
      `no sweep file ${sweepFile}`,
      near === undefined ? undefined : `did you mean "${prefix}${near}"?`,
    );
  }
}

/** A sweep's trials are `tipi run <pipeline> --set k=v …`: a module pipeline cannot take them. */
export function checkSweepTarget(target: Target, pipeline: string): void {
  if (target.kind !== "module") return;
  throw new UsageError(
    `a sweep passes its parameters to each trial as --set overrides, which need a TOML pipeline; ${pipeline} is a module`,
    "write the pipeline as TOML (docs/config.md): `npx tipi init <dir> --example fashion-mnist` writes one, pipeline.toml, with a sweep.yaml",
  );
}
