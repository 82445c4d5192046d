import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./test/global-setup.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/scripts/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                DATABASE_URL: inject("databaseUrl"),
                DB_WS_PROXY: inject("wsProxy"),
                GLOBAL_FALLBACK_URL: "https://fallback.leadrail.test/",
                EDGE_CACHE_TTL_MS: "0",
                // Under a loaded test run a local KV read can take longer than the deployed 1 s deadline;
                // the deadline tests set their own.
                EDGE_KV_DEADLINE_MS: "10000",
                // A fresh signing secret per run, as `npm start` generates one (scripts/lib/dev-secrets.ts).
                DASHBOARD_SESSION_SECRET: `dashboard_test_${crypto.randomUUID()}`,
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Through `wrangler dev`, as `npm start` runs it: its own global setup starts the whole stack.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["./test/e2e/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One stack is shared (and its database bridge is stopped by one test): files run one at a time,
          // after the unit and workers projects so the two cores are not shared with them.
          maxWorkers: 1,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
