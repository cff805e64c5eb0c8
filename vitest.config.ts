import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure code, no servers) and `integration` (real Redis,
// kubesim, child processes). `pnpm test` runs both; see README.
const conditions = ["source", "import", "module", "node", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["source"] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["packages/*/src/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**", "**/dist/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          // Runs after the unit project; its own worker limit needs its own group.
          sequence: { groupOrder: 1 },
          include: ["packages/*/src/**/*.int.test.ts", "test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Integration files start servers; two cores, so keep parallelism modest.
          maxWorkers: 2,
        },
      },
    ],
  },
});
