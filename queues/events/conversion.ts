import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { recordset } from "../../db/sql.ts";
import { type ConversionMessage, conversionMessageSchema } from "./conversion-message.ts";

export { type ConversionMessage, conversionMessageSchema } from "./conversion-message.ts";

/** What storing one batch of conversions did. */
export interface ConversionBatchResult {
  received: number;
  /** New inbound_conversions rows. */
  stored: number;
  /** Of those, attached to a capture. */
  attached: number;
  /** Already stored (same partner and transaction id, in an earlier batch or earlier in this one). */
  duplicates: number;
  /** Naming a partner that is not in the database (a stale edge document): dropped, and logged. */
  unknownPartners: number;
}

/**
 * The idempotency key of a conversion: the partner's transaction id, or, when it sent only a click id,
 * `click:<click id>:<event>` (one conversion per click and event).
 */
export function conversionKey(
  message: Pick<ConversionMessage, "clickId" | "transactionId" | "event">,
): string {
  return message.transactionId ?? `click:${message.clickId ?? ""}:${message.event}`;
}

/**
 * Stores a batch of verified conversions in one statement, whatever its size: insert into
 * inbound_conversions ON CONFLICT (partner_id, transaction_id) DO NOTHING, each attached to the latest
 * capture of that partner whose capture_marketing.click_id is the conversion's click id, else whose
 * transaction_id is its transaction id; none found leaves capture_id null. A redelivered or repeated
 * conversion changes nothing. Runs on the caller's executor (the dispatcher's transaction or pool).
 */
export async function storeConversions(
  db: Executor,
  conversions: readonly ConversionMessage[],
): Promise<ConversionBatchResult> {
  if (conversions.length === 0) {
    return { received: 0, stored: 0, attached: 0, duplicates: 0, unknownPartners: 0 };
  }
  const rows = conversions.map((message, ord) => ({
    ord,
    partner_id: message.partnerId,
    transaction_id: conversionKey(message),
    match_transaction_id: message.transactionId,
    click_id: message.clickId,
    event: message.event,
    amount: message.amount,
    currency: message.currency,
    raw: message.params,
    received_at: message.receivedAt,
  }));
  const columns =
    "ord integer, partner_id bigint, transaction_id text, match_transaction_id text, click_id text, event text, amount bigint, currency text, raw jsonb, received_at timestamptz";
  const result = await db.execute<{ received: number; known: number; stored: number; attached: number }>(sql`
    WITH batch AS (SELECT * FROM ${recordset(rows, columns)}),
    known AS (
      SELECT DISTINCT ON (b.partner_id, b.transaction_id) b.*
      FROM batch b JOIN partners p ON p.id = b.partner_id
      ORDER BY b.partner_id, b.transaction_id, b.ord
    ),
    inserted AS (
      INSERT INTO inbound_conversions
        (partner_id, transaction_id, click_id, capture_id, event, amount, currency, raw, received_at)
      SELECT k.partner_id, k.transaction_id, k.click_id, coalesce(by_click.id, by_transaction.id),
        k.event, k.amount, k.currency, k.raw, k.received_at
      FROM known k
      LEFT JOIN LATERAL (
        SELECT c.id FROM capture_marketing m JOIN captures c ON c.id = m.capture_id
        WHERE k.click_id IS NOT NULL AND m.click_id = k.click_id AND c.partner_id = k.partner_id
        ORDER BY c.received_at DESC, c.id DESC LIMIT 1
      ) by_click ON true
      LEFT JOIN LATERAL (
        SELECT c.id FROM capture_marketing m JOIN captures c ON c.id = m.capture_id
        WHERE by_click.id IS NULL AND k.match_transaction_id IS NOT NULL
          AND m.transaction_id = k.match_transaction_id AND c.partner_id = k.partner_id
        ORDER BY c.received_at DESC, c.id DESC LIMIT 1
      ) by_transaction ON true
      ORDER BY k.ord
      ON CONFLICT (partner_id, transaction_id) DO NOTHING
      RETURNING capture_id
    )
    SELECT (SELECT count(*) FROM batch)::int AS received,
      (SELECT count(*) FROM batch b WHERE EXISTS (SELECT 1 FROM partners p WHERE p.id = b.partner_id))::int AS known,
      count(*)::int AS stored,
      count(capture_id)::int AS attached
    FROM inserted`);
  const row = result.rows[0] ?? { received: 0, known: 0, stored: 0, attached: 0 };
  return {
    received: row.received,
    stored: row.stored,
    attached: row.attached,
    duplicates: row.known - row.stored,
    unknownPartners: row.received - row.known,
  };
}

/**
 * The events consumer's part for `type: "conversion"` messages: an `EventsPart` of
 * queues/events/handler.ts (typed here by its shape, so this module does not import the dispatcher
 * that imports it), registered there under `conversion`. Conversions naming a partner that is not in
 * the database are dropped and logged by count: the edge verified them against a document that has
 * since gone stale, so a retry cannot help.
 */
export const conversionPart: {
  schema: typeof conversionMessageSchema;
  store(tx: Executor, messages: ConversionMessage[]): Promise<{ counts: Record<string, number> }>;
} = {
  schema: conversionMessageSchema,
  async store(tx, messages) {
    const result = await storeConversions(tx, messages);
    if (result.unknownPartners > 0) {
      console.error(
        JSON.stringify({ event: "events.conversion_unknown_partner", count: result.unknownPartners }),
      );
    }
    return { counts: { ...result } };
  },
};
