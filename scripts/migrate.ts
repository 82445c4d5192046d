/**
 * `npm run db:migrate`: applies the committed drizzle migrations to DATABASE_URL. This is how a
 * Neon database is migrated in production; applied migrations are skipped, so it is safe to rerun.
 */
import { applyMigrations } from "./lib/database.ts";
import { redact } from "./lib/stack.ts";

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      "DATABASE_URL is not set. Example: DATABASE_URL=postgres://user:pass@host/db npm run db:migrate",
    );
    process.exit(2);
  }
  console.log(`applying migrations to ${redact(url)}`);
  await applyMigrations(url);
  console.log("migrations applied");
}

main().catch((error) => {
  console.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
