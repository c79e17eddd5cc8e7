// Prints vitest's totals as the plain closing line CI reads: "N passed, N failed".
import { existsSync, readFileSync } from "node:fs";

const [file, rcArg] = process.argv.slice(2);
const rc = Number(rcArg ?? 0);
if (!file || !existsSync(file)) {
  // Lint or type-check failed before any test ran.
  console.log(`0 passed, ${rc === 0 ? 0 : 1} failed`);
} else {
  const report = JSON.parse(readFileSync(file, "utf8"));
  const failedSuites = report.numFailedTestSuites ?? 0;
  const failed = (report.numFailedTests ?? 0) + (report.numFailedTests ? 0 : failedSuites);
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(
    `${report.numPassedTests ?? 0} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`,
  );
}
