import { type SQL, sql } from "drizzle-orm";
import { expect } from "vitest";
import { ids, ok, rand, withDb } from "./api.ts";
import type { SalesTenant } from "./sales.ts";

/** Message campaigns' fixtures: accounts in bulk, a brand's sender settings and templates, an everyone cohort. */

export const sender = { name: "봄샵", contact: "02-930-2266", optOutNumber: "080-123-4567" };

/** An LMS advertisement that passes every message rule of the gate for {@link sender}. */
export const adText = "(광고) 봄샵 봄 세일 {link}\n문의 02-930-2266\n무료수신거부 080-123-4567";

/** `n` accounts of the tenant's brand and market, each with its email and contact, in one statement; their ids ascending. */
export async function seedAccounts(
  tenant: SalesTenant,
  n: number,
): Promise<{ id: number; contactId: number }[]> {
  const tag = rand();
  return withDb(async (db) => {
    const result = await db.execute<{ id: string | number; contact_id: string | number }>(sql`
      WITH e AS (
        INSERT INTO emails (address, domain, sha256, md5)
        SELECT a, 'example.com', encode(sha256(convert_to(a, 'UTF8')), 'hex'), md5(a)
          FROM (SELECT 'c' || g || '.' || ${tag} || '@example.com' AS a FROM generate_series(1, ${n}) g) x
        RETURNING id
      ), c AS (
        INSERT INTO contacts (email_id) SELECT id FROM e RETURNING id, email_id
      )
      INSERT INTO brand_client_accounts (brand_id, market_id, email_id, contact_id, currency)
      SELECT ${tenant.brand.internal}, ${tenant.market.internal}, c.email_id, c.id, ${tenant.market.currency} FROM c
      RETURNING id, contact_id`);
    return result.rows
      .map((row) => ({ id: Number(row.id), contactId: Number(row.contact_id) }))
      .sort((a, b) => a.id - b.id);
  });
}

export async function insertMessagingSettings(brandId: number): Promise<void> {
  await withDb((db) =>
    db.execute(sql`
      INSERT INTO brand_messaging_settings (brand_id, sender_name, sender_contact, opt_out_number, sender_number,
        reconfirm_text)
      VALUES (${brandId}, ${sender.name}, ${sender.contact}, ${sender.optOutNumber}, '029302266', '수신동의 확인')`),
  );
}

export async function insertTemplate(
  brandId: number,
  template: {
    channel: "alimtalk" | "brand_message";
    status: string;
    class: string;
    text: string;
    variables: string[];
  },
): Promise<string> {
  const result = await withDb((db) =>
    db.execute<{ id: string | number }>(sql`
      INSERT INTO message_templates (brand_id, channel, code, name, class, status, text, variables)
      VALUES (${brandId}, ${template.channel}, ${`T-${rand()}`}, 'Template', ${template.class}, ${template.status},
        ${template.text}, ${JSON.stringify(template.variables)}::jsonb)
      RETURNING id`),
  );
  return ids.encode("messageTemplate", Number(result.rows[0]?.id));
}

/** A cohort of every account of the tenant's brand (order count ≥ 0). */
export async function everyoneCohort(tenant: SalesTenant): Promise<string> {
  const cohort = await ok("POST", "/api/v1/cohorts", {
    key: tenant.key,
    body: {
      brand: tenant.brand.id,
      name: "Everyone",
      definition: { op: "and", rules: [{ field: "order_count", op: "gte", value: 0 }] },
    },
  });
  expect(typeof cohort.id).toBe("string");
  return cohort.id;
}

/** Rows of a statement, for checking what a launch wrote. */
export async function rows<T extends Record<string, unknown>>(statement: SQL): Promise<T[]> {
  return withDb(async (db) => {
    const result = await db.execute<T>(statement);
    return result.rows as T[];
  });
}
