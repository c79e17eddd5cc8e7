import { defineConfig } from "vitest/config";

// Tests import the workspace packages' TypeScript sources (the `tipi-source` export condition),
// so they run without a build; the CLI in a subprocess runs the built packages (`pnpm build`).
const conditions = ["tipi-source", "module", "node", "development|production"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "tests/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
    typecheck: {
      enabled: true,
      include: ["packages/*/test/**/*.test-d.ts", "tests/**/*.test-d.ts"],
      tsconfig: "./tsconfig.typecheck.json",
    },
  },
});
