import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Pulumi's runtime state is process-global: every test file gets its own process.
    pool: "forks",
    isolate: true,
    // Vitest's default (cores − 1) runs one file at a time on a 2-core CI machine; most e2e files
    // wait on nats-server, PostgreSQL and sockets much of the time, so two at once nearly halve the
    // run (771 → 401–416 s here, every test passing in both runs).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
