import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Executor } from "../../db/client.ts";
import { statementKeptReferences } from "../../db/schema/references.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { processCaptureBatch } from "../../queues/capture/handler.ts";
import { withDb } from "../support/api.ts";
import { captureMessage, freshEmail, queueMessages, seedTenant } from "../support/capture-message.ts";
import { createSalesTenant, orderBody, postOrder } from "../support/sales.ts";

/** Every reference db/schema/references.ts leaves to the writing statement whose parent row is not there. */
async function danglingReferences(db: Pick<Executor, "execute">): Promise<string[]> {
  const checks = statementKeptReferences.map(
    ({ table, column, parent }) =>
      sql`SELECT ${`${table}.${column}`}::text AS reference, count(*)::int AS dangling
        FROM ${sql.identifier(table)} c
        WHERE c.${sql.identifier(column)} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM ${sql.identifier(parent)} p WHERE p.id = c.${sql.identifier(column)})`,
  );
  const result = await db.execute<{ reference: string; dangling: number }>(
    sql.join(checks, sql` UNION ALL `),
  );
  return result.rows.filter((row) => row.dangling > 0).map((row) => `${row.reference}: ${row.dangling}`);
}

const relaysQueue = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue;

describe("references kept by the writing statement", () => {
  it("name rows that exist, after captures and orders of every shape (and over everything stored before)", async () => {
    const tenant = await withDb((db) => seedTenant(db));
    const email = freshEmail("references");
    const bodies = [
      captureMessage(tenant, { email }),
      captureMessage(tenant, { email }),
      captureMessage(tenant),
    ];
    const report = await processCaptureBatch(createMessageBatch(queueNames.captures, queueMessages(bodies)), {
      ...env,
      RELAYS_QUEUE: relaysQueue,
    });
    expect(report.stored).toBe(3);

    const sales = await createSalesTenant();
    const first = await postOrder(
      sales,
      orderBody(sales, {
        items: [
          {
            sku: "PLAN-1",
            name: "Monthly plan",
            quantity: 1,
            unit_price: 20_000,
            subscription: {
              action: "create",
              external_id: `sub-${email}`,
              interval: "month",
              interval_count: 1,
            },
          },
        ],
        payment: { amount: 23_000, method: "card" },
      }),
    );
    expect(first.status, first.text).toBe(201);
    const again = await postOrder(sales, orderBody(sales));
    expect(again.status, again.text).toBe(201);

    expect(statementKeptReferences.length).toBe(54);
    expect(await withDb((db) => danglingReferences(db))).toEqual([]);
  });

  it("finds a row whose parent is missing (the check can fail)", async () => {
    class RolledBack extends Error {}
    let found: string[] = [];
    await withDb((db) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO contacts (email_id) VALUES (-1)`);
        found = await danglingReferences(tx);
        throw new RolledBack();
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });
    expect(found).toContain("contacts.email_id: 1");
  });
});
