import { isAbsolute, join, relative, resolve } from "node:path";
import { listRuns } from "@tipi/wandb";

/**
 * The runs root is read from the working directory: `tipi run` in the project folder and
 * `tipi runs` (report, `--resume`) in a subfolder of it look in two places. When `root` holds
 * no runs but the same folder in a parent directory does, says how to reach them.
 */
export function runsElsewhereHint(root: string, cwd = process.cwd()): string | undefined {
  const rel = relative(resolve(cwd), resolve(root));
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return undefined;
  if (listRuns(root).length > 0) return undefined;
  let dir = resolve(cwd);
  for (let parent = resolve(dir, ".."); parent !== dir; dir = parent, parent = resolve(dir, "..")) {
    const candidate = join(parent, rel);
    if (listRuns(candidate).length > 0) {
      const shown = relative(resolve(cwd), candidate);
      return `the runs are in ${shown} (--runs is read from the working directory): add --runs ${shown}`;
    }
  }
  return undefined;
}
