// tipi on a Node.js older than engines.node: one line that says so, exit 2 (on Node 18 the CLI
// failed with "internal error: The requested module 'node:zlib' does not provide an export
// named 'crc32'"; checked by hand with a real Node 18.20.4, here with process.versions faked
// before the CLI loads).
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { unsupportedNodeMessage } from "../packages/cli/src/node-version.ts";
import { tipi } from "./fixtures/cli/run-tipi.ts";

describe("the Node.js version", () => {
  test.each([
    ["18.20.4", true],
    ["20.8.1", true],
    ["20.9.0", false],
    ["20.20.2", false],
    ["22.12.0", false],
  ])("%s needs another Node: %s", (version, refused) => {
    const message = unsupportedNodeMessage(version, "/usr/bin/node", "20.9");
    expect(message !== undefined).toBe(refused);
    if (refused)
      expect(message).toContain(`needs Node.js 20.9 or newer; this is Node.js ${version}`);
  });

  test("the built CLI on an older Node: the message, exit 2, before any module of tipi fails", async () => {
    const fake = fileURLToPath(new URL("fixtures/cli/pretend-node-18.mjs", import.meta.url));
    const result = await tipi(["run", "tests/fixtures/cli/basic", "--runs", "runs/.never"], {
      env: { NODE_OPTIONS: `--import=${fake}` },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `tipi: needs Node.js 20.9 or newer; this is Node.js 18.20.4 (${process.execPath})\n  hint: install Node.js 20 or 22 (https://nodejs.org, or \`nvm install 22\` with nvm) and run the command again with it\n`,
    );
  });
});
