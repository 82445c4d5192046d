import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, type RunningDatabase, startEmbeddedPostgres } from "../../scripts/lib/database.ts";
import { seedDemo } from "../../scripts/lib/seed.ts";

let database: RunningDatabase;

beforeAll(async () => {
  database = await startEmbeddedPostgres();
  await applyMigrations(database.url);
}, 60_000);

afterAll(async () => {
  await database?.stop();
});

async function query<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe("demo seed: markets and stores", () => {
  it("creates a KRW and a USD market and one Shopify store per brand, once", async () => {
    const key = "lr_dev_admin_markets_00000000000000";
    const first = await seedDemo(database.url, key);
    const second = await seedDemo(database.url, key);
    expect(second.markets).toEqual(first.markets);
    expect(second.stores).toEqual(first.stores);
    expect(Object.keys(first.markets)).toEqual(["kr", "us"]);

    expect(await query("SELECT code, name, country, currency, time_zone FROM markets ORDER BY code")).toEqual(
      [
        { code: "kr", name: "South Korea", country: "KR", currency: "KRW", time_zone: "Asia/Seoul" },
        { code: "us", name: "United States", country: "US", currency: "USD", time_zone: "America/New_York" },
      ],
    );
    expect(
      await query(
        `SELECT b.slug AS brand, m.code AS market, s.platform, s.external_ref, s.name
           FROM stores s JOIN brands b ON b.id = s.brand_id JOIN markets m ON m.id = s.market_id
          ORDER BY s.external_ref`,
      ),
    ).toEqual([
      {
        brand: "acme-skincare",
        market: "kr",
        platform: "shopify",
        external_ref: "acme-skincare.myshopify.com",
        name: "Acme Skincare Korea",
      },
      {
        brand: "northwind-coffee",
        market: "us",
        platform: "shopify",
        external_ref: "northwind-coffee.myshopify.com",
        name: "Northwind Coffee US",
      },
    ]);
    const ids = await query<{ id: string; external_ref: string }>("SELECT id, external_ref FROM stores");
    expect(Object.fromEntries(ids.map((row) => [row.external_ref, Number(row.id)]))).toEqual(first.stores);
  }, 30_000);
});
