import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emailHashes, isNormalisedEmail, normaliseEmail } from "../../domain/contacts/email.ts";
import { address, personalInfo } from "../../domain/contacts/identity.ts";
import { planRefund } from "../../domain/ledger/refund-waterfall.ts";
import { canTransition, type SubscriptionState } from "../../domain/subscriptions/states.ts";
import {
  applyMigrations,
  createScratchDatabase,
  externalDatabase,
  type RunningDatabase,
  startEmbeddedPostgres,
} from "../../scripts/lib/database.ts";
import {
  type HistoryOptions,
  historyTables,
  ledgerConsistent,
  seedHistory,
  verifyLedger,
} from "../../scripts/lib/history-seed.ts";
import { seedDemo } from "../../scripts/lib/seed.ts";

/**
 * The history seed into two fresh databases (PGlite, or scratch databases on the server of DATABASE_URL
 * when it is set) with foreign key checks on: the ledger's invariants hold exactly, and the same seed in
 * different chunk sizes writes the same rows with the same ids.
 */
async function freshDatabase(name: string): Promise<RunningDatabase & { drop(): Promise<void> }> {
  const server = process.env.DATABASE_URL;
  if (server) {
    const scratch = await createScratchDatabase(server, `leadrail_history_${name}_${process.pid}`);
    await applyMigrations(scratch.url);
    return { ...externalDatabase(scratch.url), drop: scratch.drop };
  }
  const embedded = await startEmbeddedPostgres();
  await applyMigrations(embedded.url);
  return { ...embedded, drop: async () => {} };
}

const options: HistoryOptions = {
  customers: 300,
  seed: 7,
  brands: null,
  markets: null,
  from: new Date("2024-06-01T00:00:00Z"),
  to: new Date("2026-06-01T00:00:00Z"),
  chunkSize: 100,
  append: false,
  fkChecks: true,
};

let first: Awaited<ReturnType<typeof freshDatabase>>;
let second: Awaited<ReturnType<typeof freshDatabase>>;
let firstRows: Record<string, number>;

beforeAll(async () => {
  [first, second] = await Promise.all([freshDatabase("a"), freshDatabase("b")]);
  for (const db of [first, second]) await seedDemo(db.url, "lr_dev_admin_history_000000000000");
  firstRows = (await seedHistory(first.url, options)).rows;
  await seedHistory(second.url, { ...options, chunkSize: 300 });
}, 180_000);

afterAll(async () => {
  for (const db of [first, second]) {
    await db?.stop();
    await db?.drop();
  }
});

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A digest of every row of a table (ids included), without the columns that default to now(). */
const digest = (url: string, table: string) =>
  query<{ d: string }>(
    url,
    `SELECT md5(string_agg((to_jsonb(t) - 'created_at' - 'updated_at')::text, ',' ORDER BY (to_jsonb(t) - 'created_at' - 'updated_at')::text)) AS d
       FROM ${table} t`,
  ).then((rows) => rows[0]?.d);

describe("history seed", () => {
  it("writes the same counts for the seed every time", () => {
    expect(firstRows).toEqual({
      emails: 300,
      contacts: 300,
      personal_info: 296,
      addresses: 300,
      products: 14,
      product_offers: 40,
      coupons: 22,
      campaigns: 94,
      brand_client_accounts: 362,
      subscriptions: 33,
      orders: 809,
      order_items: 1269,
      order_coupons: 158,
      invoices: 809,
      invoice_items: 1708,
      payments: 788,
      refunds: 39,
      credit_notes: 40,
      credit_note_items: 40,
      subscription_history: 174,
      subscription_occurrences: 157,
      influencers: 10,
      influencer_codes: 20,
      acquisition_rules: 4,
      commerce_events: 2142,
      consents: 1122,
      consent_history: 1209,
      order_fulfilment_history: 760,
      abandoned_carts: 157,
    });
    expect(Object.keys(firstRows)).toEqual([...historyTables]);
  });

  it("writes the same rows with the same ids whatever the chunk size", async () => {
    for (const table of historyTables)
      expect({ table, digest: await digest(second.url, table) }).toEqual({
        table,
        digest: await digest(first.url, table),
      });
  });

  it("keeps every account's six totals equal to its ledger rows, and every other invariant", async () => {
    const check = await verifyLedger(first.url);
    expect(check).toEqual({
      accounts: 362,
      accountTotals: 0,
      refundsVsCreditNotes: 0,
      creditNotesVsItems: 0,
      invoiceItemsCredited: 0,
      creditedTotals: 0,
      invoiceAmounts: 0,
      subscriptionOccurrences: 0,
      consentsVsHistory: 0,
      fulfilmentVsHistory: 0,
      eventLinks: 0,
      cartRecoveries: 0,
    });
    expect(ledgerConsistent(check)).toBe(true);
    expect(ledgerConsistent({ ...check, creditedTotals: 1 })).toBe(false);
  });

  it("credits each refund by the waterfall over the lines invoiced by then, as the domain plans it", async () => {
    const refunds = await query<{ id: string; amount: string; lines: unknown; notes: unknown }>(
      first.url,
      `SELECT r.id, r.amount,
              (SELECT json_agg(json_build_object('invoiceId', i.id, 'invoiceIssuedAt', i.issued_at,
                        'invoiceItemId', ii.id, 'amount', ii.amount))
                 FROM invoices i JOIN invoice_items ii ON ii.invoice_id = i.id
                WHERE i.account_id = r.account_id AND ii.product_id = r.product_id
                  AND i.issued_at <= r.refunded_at) AS lines,
              (SELECT json_agg(json_build_object('invoiceId', cn.invoice_id, 'amount', cn.amount,
                        'items', (SELECT json_agg(json_build_object('invoiceItemId', ci.invoice_item_id,
                                    'amount', ci.amount) ORDER BY ci.id)
                                    FROM credit_note_items ci WHERE ci.credit_note_id = cn.id)) ORDER BY cn.id)
                 FROM credit_notes cn WHERE cn.refund_id = r.id) AS notes
         FROM refunds r ORDER BY r.id`,
    );
    expect(refunds.length).toBe(39);
    let cascaded = 0;
    for (const refund of refunds) {
      const lines = (
        refund.lines as {
          invoiceId: number;
          invoiceIssuedAt: string;
          invoiceItemId: number;
          amount: number;
        }[]
      ).map((l) => ({ ...l, invoiceIssuedAt: new Date(l.invoiceIssuedAt), credited: 0 }));
      const plan = planRefund(lines, Number(refund.amount));
      expect(plan.ok).toBe(true);
      if (!plan.ok) continue;
      expect(refund.notes).toEqual(plan.creditNotes);
      if (plan.creditNotes.length > 1) cascaded += 1;
    }
    // Some refunds take back two purchases of the product: the waterfall spans two invoices.
    expect(cascaded).toBe(1);
  });

  it("never refunds more than the account holds at the time (paid − refunded so far)", async () => {
    const overdrawn = await query<{ n: string }>(
      first.url,
      `SELECT count(*) AS n FROM refunds r
        WHERE (SELECT COALESCE(sum(amount), 0) FROM payments p
                WHERE p.account_id = r.account_id AND p.received_at <= r.refunded_at)
            < (SELECT sum(amount) FROM refunds r2
                WHERE r2.account_id = r.account_id AND (r2.refunded_at, r2.id) <= (r.refunded_at, r.id))`,
    );
    expect(overdrawn).toEqual([{ n: "0" }]);
  });

  it("stores identities normalised and hashed exactly as order ingestion does", async () => {
    const emails = await query<{ address: string; domain: string; sha256: string; md5: string }>(
      first.url,
      "SELECT address, domain, sha256, md5 FROM emails",
    );
    for (const email of emails) {
      const normalised = normaliseEmail(email.address);
      expect(isNormalisedEmail(normalised) && normalised.address).toBe(email.address);
      expect({ domain: email.domain, ...emailHashes(email.address) }).toEqual({
        domain: email.address.split("@")[1],
        sha256: email.sha256,
        md5: email.md5,
      });
      expect(email.domain.endsWith(".example")).toBe(true);
    }
    const people = await query<{
      first_name: string;
      last_name: string;
      phone: string;
      sha256: string;
      md5: string;
    }>(first.url, "SELECT first_name, last_name, phone, sha256, md5 FROM personal_info");
    expect(people.length).toBe(296);
    for (const p of people) {
      const expected = personalInfo({ first_name: p.first_name, last_name: p.last_name, phone: p.phone });
      expect(expected?.parts).toEqual({ firstName: p.first_name, lastName: p.last_name, phone: p.phone });
      expect({ sha256: expected?.sha256, md5: expected?.md5 }).toEqual({ sha256: p.sha256, md5: p.md5 });
    }
    const places = await query<{
      country: string;
      region: string;
      city: string;
      postal_code: string;
      line1: string;
      line2: string;
      sha256: string;
      md5: string;
    }>(first.url, "SELECT country, region, city, postal_code, line1, line2, sha256, md5 FROM addresses");
    for (const a of places) {
      const expected = address(a);
      expect({ sha256: expected.sha256, md5: expected.md5 }).toEqual({ sha256: a.sha256, md5: a.md5 });
      expect(expected.parts.line1).toBe(a.line1);
    }
  });

  it("moves subscriptions only along the transition table, one history row per change", async () => {
    const history = await query<{
      subscription_id: string;
      from_state: SubscriptionState | null;
      to_state: SubscriptionState;
    }>(
      first.url,
      "SELECT subscription_id, from_state, to_state FROM subscription_history ORDER BY subscription_id, changed_at, id",
    );
    for (const row of history)
      if (row.from_state !== null && row.from_state !== row.to_state)
        expect(canTransition(row.from_state, row.to_state)).toBe(true);
    const states = await query<{ state: string; n: string; rows: string; changes: string }>(
      first.url,
      `SELECT s.state, count(*) AS n, sum(s.occurrences) AS rows,
              sum((SELECT count(*) FROM subscription_history h WHERE h.subscription_id = s.id)) AS changes
         FROM subscriptions s GROUP BY s.state ORDER BY s.state`,
    );
    // A history row per billed period, plus one for the final move of a subscription that is not active.
    expect(states).toEqual([
      { state: "active", n: "16", rows: "74", changes: "74" },
      { state: "cancelled", n: "12", rows: "68", changes: "80" },
      { state: "expired", n: "5", rows: "15", changes: "20" },
    ]);
  });

  it("carries acquisition parameters: organic, paid, influencer handles and referral codes", async () => {
    const sources = await query<{ medium: string | null; n: string }>(
      first.url,
      `SELECT marketing->>'utm_medium' AS medium, count(*) AS n FROM orders o
        WHERE o.placed_at = (SELECT first_order_at FROM brand_client_accounts a WHERE a.id = o.account_id)
        GROUP BY 1 ORDER BY 1 NULLS FIRST`,
    );
    expect(sources.map((s) => s.medium)).toEqual([
      null,
      "cpc",
      "email",
      "influencer",
      "organic",
      "paid_social",
      "referral",
    ]);
    const influencer = await query<{ ref: string; campaign: string; coupon: string | null }>(
      first.url,
      `SELECT o.marketing->>'ref' AS ref, c.code AS campaign,
              (SELECT cp.code FROM order_coupons oc JOIN coupons cp ON cp.id = oc.coupon_id WHERE oc.order_id = o.id) AS coupon
         FROM orders o JOIN campaigns c ON c.id = o.campaign_id
        WHERE o.marketing->>'utm_medium' = 'influencer' ORDER BY o.id LIMIT 1`,
    );
    expect(influencer[0]?.campaign).toBe(`influencer-${influencer[0]?.ref}`);
  });

  it("refuses to seed over an existing history, and appends after it when asked", async () => {
    await expect(seedHistory(first.url, { ...options, customers: 10 })).rejects.toThrow(
      "these brands already have orders: pass --append to add customers after them, or seed a fresh database",
    );
    const appended = await seedHistory(first.url, { ...options, customers: 20, append: true });
    expect({ offset: appended.offset, emails: appended.rows.emails }).toEqual({ offset: 300, emails: 20 });
    expect(ledgerConsistent(await verifyLedger(first.url))).toBe(true);
    const numbers = await query<{ n: string }>(first.url, "SELECT count(DISTINCT address) AS n FROM emails");
    expect(numbers).toEqual([{ n: "320" }]);
  });
});
