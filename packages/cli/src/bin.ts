// The `tipi` command (bin/tipi.js imports this module; so does the umbrella package `tipi`).
// The Node.js version is checked before anything else loads: on an older Node the CLI's modules
// fail to link with an error about a Node built-in ("'node:zlib' does not provide an export
// named 'crc32'"), which does not say that the version is the problem.
import { unsupportedNodeMessage } from "./node-version.ts";

const unsupported = unsupportedNodeMessage(process.versions.node, process.execPath);
if (unsupported !== undefined) {
  process.stderr.write(unsupported);
  process.exit(2);
}
await import("./start.ts");
