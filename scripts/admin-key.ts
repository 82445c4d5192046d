/**
 * `npm run admin-key -- [--name NAME]`: creates an admin API key in DATABASE_URL (the first key of a
 * new deployment) and prints it once. Only its SHA-256 is stored; further keys come from the API.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { generateApiKey, hashApiKey, prefixLength } from "../domain/ops/api-keys.ts";
import { redact } from "./lib/stack.ts";

async function main(): Promise<number> {
  let name: string;
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: { name: { type: "string", default: "admin" } },
      strict: true,
    });
    name = (values.name ?? "admin").trim();
    if (name === "" || name.length > 200) throw new Error("--name must be 1 to 200 characters");
  } catch (error) {
    console.error(`admin-key: ${error instanceof Error ? error.message : String(error)}`);
    console.error("Usage: DATABASE_URL=… npm run admin-key -- [--name NAME]");
    return 2;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("admin-key: DATABASE_URL is not set (the database the Worker uses, migrated).");
    return 2;
  }
  const key = generateApiKey();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("INSERT INTO api_keys (name, prefix, key_hash, is_admin) VALUES ($1, $2, $3, true)", [
      name,
      key.slice(0, prefixLength),
      hashApiKey(key),
    ]);
  } finally {
    await client.end();
  }
  console.log(`created admin API key "${name}" in ${redact(url)}; it is shown only this once:\n\n  ${key}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`admin-key: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
