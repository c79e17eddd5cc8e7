import { resolve } from "node:path";
import { registerSecret, resolveRunDir, syncRun } from "@tipi/wandb";
import { EXIT, UsageError } from "../cli/errors.ts";
import type { ParsedArgs } from "../cli/parse-args.ts";
import { findWandbKey } from "../run/wandb-key.ts";

/** `tipi sync <run>`: uploads what W&B has not confirmed of a run directory (idempotent). */
export async function syncCommand(args: ParsedArgs): Promise<number> {
  const apiKey = findWandbKey();
  if (apiKey === undefined) {
    throw new UsageError(
      "tipi sync needs a W&B API key, and none is set",
      "set WANDB_API_KEY (https://wandb.ai/authorize), or run `wandb login` once (it writes ~/.netrc)",
    );
  }
  // Read from ~/.netrc perhaps: scrubbed from every output like WANDB_API_KEY's value.
  registerSecret(apiKey);
  const root = resolve(String(args.options.runs ?? "runs"));
  const spec = args.positionals[0]!;
  const dir = resolveRunDir(root, undefined, spec);
  if (dir === undefined) {
    throw new UsageError(`no run "${spec}" under ${root}`, 'see "tipi runs" for the run ids');
  }
  const project = args.options.project as string | undefined;
  const entity = args.options.entity as string | undefined;
  const result = await syncRun(dir, {
    apiKey,
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
