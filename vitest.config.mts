import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Pulumi's runtime state is process-global: every test file gets its own process.
    pool: "forks",
    isolate: true,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
