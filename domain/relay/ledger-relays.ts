import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { Unavailable } from "../core/errors.ts";
import { type PostbackValueName, postbackValueNames } from "./postback-template.ts";

/**
 * Sale and refund postbacks (SPEC §4), made by the ledger in its own transaction: one INSERT … SELECT
 * whatever the number of orders a refund credits, each job keeping the values it is made with
 * (domain/relay/postback-template.ts `postbackValues`, gathered here in SQL from the partner `p`, the
 * capture `c` and its marketing row `m`); the relay consumer renders them with the partner's URL at each
 * attempt. The dedup key (capture, order, refund, kind, event, partner) makes a repeated insert a no-op.
 * The caller sends `{ jobId }` to the relay queue after its commit.
 */

/** Each value of a ledger event's postback, as `postbackValues` would give it for a capture. */
function valueColumns(event: "sale" | "refund"): Record<PostbackValueName, SQL> {
  return {
    click_id: sql`coalesce(m.click_id, '')`,
    transaction_id: sql`coalesce(m.transaction_id, '')`,
    // As stage 10: no currency, no payout (a bare number would be ambiguous).
    payout_minor: sql`CASE WHEN p.payout_currency IS NULL THEN '' ELSE p.payout::text END`,
    currency: sql`coalesce(p.payout_currency::text, '')`,
    event: sql`${event}::text`,
    capture_id: sql`c.id::text`,
    sub1: sql`coalesce(m.sub1, '')`,
    sub2: sql`coalesce(m.sub2, '')`,
    sub3: sql`coalesce(m.sub3, '')`,
    sub4: sql`coalesce(m.sub4, '')`,
    sub5: sql`coalesce(m.sub5, '')`,
  };
}

function jobValues(event: "sale" | "refund"): SQL {
  const columns = valueColumns(event);
  const pairs = sql.join(
    postbackValueNames.map((name) => sql`${name}::text, ${columns[name]}`),
    sql`, `,
  );
  return sql`jsonb_build_object(${pairs})`;
}

/** A partner that wants this event by a server-side postback (a `redirect` postback rides the visitor's redirect). */
const listens = (event: "sale" | "refund") =>
  sql`p.postback_url IS NOT NULL AND p.postback_method <> 'redirect' AND ${event}::text = ANY(p.postback_events)`;

async function insertedIds(tx: Pick<Executor, "execute">, statement: SQL): Promise<number[]> {
  const result = await tx.execute<{ id: string | number }>(statement);
  return result.rows.map((row) => Number(row.id)).sort((a, b) => a - b);
}

/**
 * The sale postback of a new order that came from a capture: one job when the capture's partner
 * listens to `sale`, none otherwise. One statement, in the order's transaction.
 */
export function saleRelayJobs(
  tx: Pick<Executor, "execute">,
  order: { orderId: number; captureId: string },
): Promise<number[]> {
  return insertedIds(
    tx,
    sql`INSERT INTO relay_jobs (kind, event, capture_id, order_id, partner_id, job_values)
      SELECT 'postback', 'sale', c.id, ${order.orderId}, p.id, ${jobValues("sale")}
        FROM captures c
        JOIN partners p ON p.id = c.partner_id
        LEFT JOIN capture_marketing m ON m.capture_id = c.id
       WHERE c.id = ${order.captureId}::uuid AND ${listens("sale")}
      ON CONFLICT ON CONSTRAINT relay_jobs_capture_dedup_key DO NOTHING
      RETURNING id`,
  );
}

/**
 * The refund postbacks of a new refund: one job per order it credited (through its credit notes'
 * invoices) whose capture's partner listens to `refund`. One statement whatever the number of orders.
 */
export function refundRelayJobs(
  tx: Pick<Executor, "execute">,
  refund: { refundId: number },
): Promise<number[]> {
  return insertedIds(
    tx,
    sql`INSERT INTO relay_jobs (kind, event, capture_id, order_id, refund_id, partner_id, job_values)
      SELECT 'postback', 'refund', c.id, o.id, ${refund.refundId}, p.id, ${jobValues("refund")}
        FROM (SELECT DISTINCT i.order_id FROM credit_notes cn JOIN invoices i ON i.id = cn.invoice_id
               WHERE cn.refund_id = ${refund.refundId}) credited
        JOIN orders o ON o.id = credited.order_id
        JOIN captures c ON c.id = o.capture_id
        JOIN partners p ON p.id = c.partner_id
        LEFT JOIN capture_marketing m ON m.capture_id = c.id
       WHERE ${listens("refund")}
       ORDER BY o.id
      ON CONFLICT ON CONSTRAINT relay_jobs_capture_dedup_key DO NOTHING
      RETURNING id`,
  );
}

/**
 * After the ledger's COMMIT: one `{ jobId }` message per job, at most 100 per `sendBatch`. When the
 * queue refuses, the ledger rows and the pending jobs are stored: the error says so and how to send them.
 */
export async function enqueueLedgerRelays(
  // Structural: Node scripts (the history seed) compile this file without the Workers types.
  queue: { sendBatch(messages: { body: { jobId: number } }[]): Promise<unknown> },
  jobIds: readonly number[],
): Promise<void> {
  try {
    for (let start = 0; start < jobIds.length; start += 100) {
      await queue.sendBatch(jobIds.slice(start, start + 100).map((jobId) => ({ body: { jobId } })));
    }
  } catch (error) {
    throw new Unavailable(
      `Stored, but ${jobIds.length} postback job(s) could not be queued; they stay pending: send them with \`npm run resend -- --status pending --since <time>\`.`,
      { cause: error },
    );
  }
}
