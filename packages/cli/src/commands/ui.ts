import { resolve } from "node:path";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { isLoopback, startDashboard } from "../dashboard/server.ts";

/**
 * `tipi ui [--runs dir] [--port n] [--host address]`: serves the dashboard until Ctrl-C or
 * SIGTERM, then closes every connection and exits 0.
 */
export async function uiCommand(args: ParsedArgs): Promise<number> {
  const root = resolve(String(args.options.runs ?? "runs"));
  const host = String(args.options.host ?? "127.0.0.1");
  const port = Number(args.options.port ?? 6007);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${port} is not a port number`, "0–65535; 0 picks a free port");
  // Listen for Ctrl-C before the URL is printed: a signal sent on seeing it must find the handler.
  let stop = () => {};
  const stopped = new Promise<void>((done) => {
    stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dashboard = await startDashboard({ root, host, port });
  } catch (error) {
    stop();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new UsageError(
        `port ${port} on ${host} is in use`,
        "pick another with --port (0: any free port)",
      );
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND")
      throw new UsageError(
        `cannot listen on ${host}: no such address here`,
        "--host 127.0.0.1 (the default)",
      );
    throw error;
  }
  if (!isLoopback(host))
    process.stderr.write(
      `tipi ui: listening on ${host}: other machines that reach it can read these runs (no login)\n`,
    );
  process.stdout.write(`tipi ui: ${dashboard.url} (runs in ${root}; Ctrl-C stops it)\n`);
  await stopped;
  await dashboard.close();
  return EXIT.ok;
}
