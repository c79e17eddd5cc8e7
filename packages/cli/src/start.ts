// The CLI proper, loaded by bin.ts once the Node.js version is known to be one tipi runs on.
import { main } from "./main.ts";
import { isRunWatched } from "./run/stall-watch.ts";
import { redactProcessOutput } from "./ui/redacted-output.ts";

// Secrets (the W&B key) never reach the terminal or a log file, whoever prints them.
redactProcessOutput();

// `pnpm tipi …` runs the root script from the workspace root: work where the user typed it.
const viaPnpmScript = process.env.npm_lifecycle_event === "tipi" && !!process.env.INIT_CWD;
if (viaPnpmScript && process.env.INIT_CWD) {
  process.chdir(process.env.INIT_CWD);
  // children (sweep trials) must not inherit this and jump directories again
  delete process.env.INIT_CWD;
  delete process.env.npm_lifecycle_event;
}

// `tipi … | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE")
      process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
    throw error;
  });
}

// Node exits with code 13 and no word when the event loop runs empty while a promise is still
// awaited (a module's top-level await that never settles). A run in flight has its own watch
// (cleanup first); anything else ends here, loudly.
let finished = false;
process.on("beforeExit", () => {
  if (finished || isRunWatched()) return;
  process.stderr.write(
    "tipi: stopped: nothing was left to run, yet the command had not finished: something awaits a promise that can never settle (a module's top-level await?)\n",
  );
  process.exit(1);
});

const code = await main(process.argv.slice(2));
finished = true;
process.exitCode = code;
// pnpm's script runner exits 0 once its child ends after a Ctrl-C, whatever the child's code.
if (code === 130 && viaPnpmScript) {
  process.stderr.write(
    "note: `pnpm tipi` reports exit code 0 after Ctrl-C (pnpm does); `npx tipi …` passes on the interrupt\n",
  );
}
// Work still holding the event loop (a stray timer in a user's step) must not keep us alive.
setTimeout(() => process.exit(code), 200).unref();
