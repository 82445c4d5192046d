/**
 * `npm run seed`: the demo catalog and admin API key alone, into DATABASE_URL (migrations must
 * already be applied). Idempotent.
 */
import { hashIds } from "../domain/hash-ids.ts";
import { adminKeyFromEnv, seedDemo } from "./lib/seed.ts";
import { redact } from "./lib/stack.ts";
import { wranglerTomlVars } from "./lib/wrangler.ts";

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      "DATABASE_URL is not set (`npm start` seeds its own database; this is for a server you run).",
    );
    process.exit(2);
  }
  const adminKey = adminKeyFromEnv();
  const seed = await seedDemo(url, adminKey);
  const alphabet = process.env.SQIDS_ALPHABET || wranglerTomlVars().SQIDS_ALPHABET;
  console.log(`seeded ${redact(url)}`);
  for (const landing of Object.values(seed.landings)) {
    const ref = alphabet ? hashIds(alphabet).encode("landing", landing.id) : `id ${landing.id}`;
    console.log(`  landing /l/${ref}  ${landing.name}`);
  }
  console.log(`  admin API key: ${adminKey} (only its SHA-256 is stored)`);
  console.log("Publish landings and rules to KV with POST /api/v1/admin/publish once the Worker runs.");
}

main().catch((error) => {
  console.error(`seed failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
