import { readFile } from "node:fs/promises";
import { parseToml } from "../source/toml.ts";
import { parseYaml11 } from "../source/yaml11.ts";
import { SweepConfigError } from "./errors.ts";
import { parseSweepConfig } from "./parse-config.ts";
import type { SweepConfig } from "./types.ts";

/**
 * Reads a W&B sweep config from a `.yaml`/`.yml` file (YAML 1.1, as the wandb CLI reads it)
 * or a `.toml` file, validates it and fills in W&B's defaults.
 * @throws SweepConfigError naming the file, the key path and the line.
 * @example
 * const config = await loadSweepConfig("sweep.yaml");
 * config.parameters.map((p) => p.key); // ["batch_size", "optimizer.lr"]
 */
export async function loadSweepConfig(path: string): Promise<SweepConfig> {
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new SweepConfigError(
      [{ path: [], message: `cannot read sweep file (${error.code ?? error.message})` }],
      path,
    );
  });
  return parseSweepConfigText(text, path);
}

/** Like {@link loadSweepConfig} for text already in memory; `file` picks the format by extension. */
export function parseSweepConfigText(text: string, file: string): SweepConfig {
  const isToml = file.toLowerCase().endsWith(".toml");
  let source: ReturnType<typeof parseYaml11>;
  try {
    source = isToml ? parseToml(text) : parseYaml11(text);
  } catch (error) {
    const line = (error as { line?: number }).line;
    throw new SweepConfigError(
      [
        {
          path: [],
          message: `invalid ${isToml ? "TOML" : "YAML"}: ${(error as Error).message}`,
          ...(typeof line === "number" ? { line } : {}),
        },
      ],
      file,
    );
  }
  return parseSweepConfig(source.value, { file, floats: source.floats, lines: source.lines });
}
