import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The W&B API key as the wandb CLI finds it: `WANDB_API_KEY`, else the `password` of the
 * `~/.netrc` (`$NETRC`) entry for the server's host (`machine api.wandb.ai`, with `:port` when
 * the URL has one), which `wandb login` writes. Undefined when neither has one.
 */
export function findWandbKey(
  baseUrl = process.env.WANDB_BASE_URL ?? "https://api.wandb.ai",
): string | undefined {
  const fromEnv = process.env.WANDB_API_KEY;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  let host: string;
  try {
    host = new URL(baseUrl).host;
  } catch {
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(process.env.NETRC ?? join(homedir(), ".netrc"), "utf8");
  } catch {
    return undefined;
  }
  return netrcPassword(text, host);
}

/** The `password` of `machine <host>` in netrc text. */
function netrcPassword(text: string, host: string): string | undefined {
  const tokens = text.split(/\s+/).filter(Boolean);
  let inMachine = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === "machine") inMachine = tokens[++i] === host;
    else if (token === "default") inMachine = false;
    else if (token === "password" && inMachine) return tokens[i + 1];
  }
  return undefined;
}
