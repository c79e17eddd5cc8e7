import { readFileSync } from "node:fs";

/** The oldest Node.js tipi runs on, from this package's `engines.node` (`>=20.9`). */
export function requiredNode(): string {
  const manifest = JSON.parse(
    readFileSync(new URL("../package.json", import.meta.url), "utf8"),
  ) as { engines?: { node?: string } };
  return /^>=\s*([\d.]+)$/.exec(manifest.engines?.node ?? "")?.[1] ?? "20.9";
}

function parts(version: string): number[] {
  return version.split(".").map((part) => Number.parseInt(part, 10) || 0);
}

/**
 * What to print when `running` (process.versions.node) is older than `required`, else
 * undefined. Kept free of imports beyond node:fs so that it loads on any Node.
 */
export function unsupportedNodeMessage(
  running: string,
  execPath: string,
  required = requiredNode(),
): string | undefined {
  const have = parts(running);
  const need = parts(required);
  for (let i = 0; i < need.length; i++) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a > b) return undefined;
    if (a < b)
      return [
        `tipi: needs Node.js ${required} or newer; this is Node.js ${running} (${execPath})`,
        "  hint: install Node.js 20 or 22 (https://nodejs.org, or `nvm install 22` with nvm) and run the command again with it",
        "",
      ].join("\n");
  }
  return undefined;
}
