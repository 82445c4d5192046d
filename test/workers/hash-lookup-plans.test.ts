import { type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { recordset } from "../../db/sql.ts";
import { contactsByHash, emailColumns } from "../../domain/commerce/contacts-by-hash.ts";
import { emailHashes } from "../../domain/contacts/email.ts";
import { prepare, resolveStatement } from "../../domain/ledger/orders.ts";
import { withDb } from "../support/api.ts";

/**
 * Lookups by a stored hash (`char(64)`) must be served by its unique index whatever the table's size: a
 * hash compared as `text` casts the table's column, and then only a scan of every row can answer. With
 * sequential scans switched off, a statement that still scans a table has no index path for it.
 */
async function scannedTables(statement: SQL): Promise<string[]> {
  const plan = await withDb((db) =>
    db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL enable_seqscan = off`);
      const explained = await tx.execute<{ "QUERY PLAN": string }>(sql`EXPLAIN ${statement}`);
      return explained.rows.map((row) => row["QUERY PLAN"]).join("\n");
    }),
  );
  return [...new Set([...plan.matchAll(/Seq Scan on (\w+)/g)].map((match) => match[1] ?? ""))].sort();
}

describe("lookups by stored hash", () => {
  it("finds an order's email, person and addresses, and its catalog rows, through their indexes", async () => {
    const input = {
      brandId: 1,
      storeId: null,
      platform: "api",
      externalId: "plan-1",
      marketCode: "kr",
      currency: "KRW",
      placedAt: new Date("2026-01-01T00:00:00.000Z"),
      customer: { email: "plan@example.com", firstName: "Ha", lastName: "Eun", phone: "010-1234-5678" },
      billingAddress: { country: "KR", city: "Seoul", line1: "1 Jong-ro" },
      shippingAddress: { country: "KR", city: "Busan", line1: "2 Haeundae-ro" },
      items: [
        {
          sku: "SKU-1",
          name: "Serum",
          offer: "default",
          quantity: 1,
          unitPrice: 10_000,
          discount: 0,
          tax: 0,
          subscription: {
            action: "renew" as const,
            externalId: "sub-1",
            interval: "month" as const,
            intervalCount: 1,
          },
        },
      ],
      shipping: 0,
      coupons: [{ code: "WELCOME", discount: 1_000 }],
      campaign: "spring",
      marketing: {},
    };
    // Only the one-row recordsets are scanned (function scans); no table is.
    expect(await scannedTables(resolveStatement(input, prepare(input)))).toEqual([]);
  });

  it("finds the emails and contacts of a commerce events batch through their indexes", async () => {
    const rows = [
      { ord: 1, address: "a@example.com", domain: "example.com", ...emailHashes("a@example.com") },
    ];
    const statement = sql`WITH input AS (SELECT * FROM ${recordset(rows, `ord integer, ${emailColumns}`)}),
      ${contactsByHash("input")}
      SELECT (SELECT count(*) FROM em) AS emails, (SELECT count(*) FROM ct) AS contacts`;
    expect(await scannedTables(statement)).toEqual([]);
  });
});
