import { resolve } from "node:path";
import { resolveRunDir, syncRun } from "@tipi/wandb";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";

/** `tipi sync <run>`: uploads what W&B has not confirmed of a run directory (idempotent). */
export async function syncCommand(args: ParsedArgs): Promise<number> {
  const root = resolve(String(args.options.runs ?? "runs"));
  const spec = args.positionals[0]!;
  const dir = resolveRunDir(root, undefined, spec);
  if (dir === undefined) {
    throw new UsageError(`no run "${spec}" under ${root}`, 'see "tipi runs" for the run ids');
  }
  const project = args.options.project as string | undefined;
  const entity = args.options.entity as string | undefined;
  const result = await syncRun(dir, {
    ...(project ? { project } : {}),
    ...(entity ? { entity } : {}),
  });
  if (result.isErr()) {
    process.stderr.write(
      `✖ sync of ${dir} failed: ${result.error.message} (${result.error.uploadedRows} rows uploaded, ${result.error.pendingRows} pending; run it again to continue)\n`,
    );
    return EXIT.failed;
  }
  const r = result.value;
  process.stdout.write(
    r.upToDate
      ? `✔ ${r.entity}/${r.project}/${r.runId} is up to date (${r.confirmedRows} rows)\n`
      : `✔ synced ${r.uploadedRows} rows to ${r.entity}/${r.project}/${r.runId} (${r.confirmedRows}/${r.totalRows} confirmed${r.completed ? ", complete" : ""})\n`,
  );
  return EXIT.ok;
}
