import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, type RunningDatabase, startEmbeddedPostgres } from "../../scripts/lib/database.ts";
import { seedDemo, sha256Hex } from "../../scripts/lib/seed.ts";

let database: RunningDatabase;

beforeAll(async () => {
  database = await startEmbeddedPostgres();
  await applyMigrations(database.url);
}, 60_000);

afterAll(async () => {
  await database?.stop();
});

async function counts(): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const tables = ["brands", "themes", "partners", "products", "landings", "redirect_rules", "api_keys"];
    const result: Record<string, number> = {};
    for (const table of tables) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      result[table] = Number(rows[0]?.n);
    }
    return result;
  } finally {
    await client.end();
  }
}

describe("demo seed", () => {
  it("creates the demo catalog once and finds the same rows when run again", async () => {
    const key = "lr_dev_admin_test_0000000000000000";
    const first = await seedDemo(database.url, key);
    const after = await counts();
    expect(after).toEqual({
      brands: 2,
      themes: 2,
      partners: 2,
      products: 2,
      landings: 3,
      redirect_rules: 7,
      api_keys: 1,
    });
    const second = await seedDemo(database.url, key);
    expect(second).toEqual(first);
    expect(await counts()).toEqual(after);
  }, 30_000);

  it("stores only the SHA-256 of the admin key, as an admin key", async () => {
    const key = "lr_dev_admin_other_000000000000000";
    await seedDemo(database.url, key);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ key_hash: string; prefix: string; is_admin: boolean }>(
        "SELECT key_hash, prefix, is_admin FROM api_keys WHERE key_hash = $1",
        [sha256Hex(key)],
      );
      expect(rows).toEqual([{ key_hash: sha256Hex(key), prefix: "lr_dev_admin", is_admin: true }]);
      const plain = await client.query("SELECT 1 FROM api_keys WHERE key_hash = $1 OR prefix = $1", [key]);
      expect(plain.rowCount).toBe(0);
    } finally {
      await client.end();
    }
  }, 30_000);

  it("gives the AffNet partner its postback URL and click id parameter", async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ slug: string; click_id_param: string; has_postback: boolean }>(
        "SELECT slug, click_id_param, postback_url IS NOT NULL AS has_postback FROM partners ORDER BY slug",
      );
      expect(rows).toEqual([
        { slug: "affnet", click_id_param: "aff_click_id", has_postback: true },
        { slug: "direct", click_id_param: "click_id", has_postback: false },
      ]);
    } finally {
      await client.end();
    }
  });
});
