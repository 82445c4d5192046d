import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { recordset } from "../../db/sql.ts";
import { type MessageClickMessage, messageClickSchema } from "./click-message.ts";

export { type MessageClickMessage, messageClickSchema } from "./click-message.ts";

/** What storing one batch of tracked-link clicks did. */
export interface ClickBatchResult {
  received: number;
  /** New message_clicks rows. */
  stored: number;
  /** Already stored (the same edge id: a redelivery, or twice in this batch). */
  duplicates: number;
  /** Naming no send of that campaign and arm (a forged or mistyped token): dropped. */
  unknownSends: number;
}

/**
 * Stores a batch of clicks in one statement, whatever its size: INSERT … SELECT into message_clicks of the
 * messages whose send exists with the token's campaign and arm (a token is only as good as the send it
 * names: anything else is dropped and counted), ON CONFLICT (id) DO NOTHING, so a redelivered click
 * changes nothing.
 */
export async function storeClicks(
  db: Executor,
  clicks: readonly MessageClickMessage[],
): Promise<ClickBatchResult> {
  if (clicks.length === 0) return { received: 0, stored: 0, duplicates: 0, unknownSends: 0 };
  const rows = clicks.map((click) => ({
    id: click.id,
    send_id: click.sendId,
    message_campaign_id: click.messageCampaignId,
    arm: click.arm,
    at: click.at,
    bot: click.bot,
    user_agent: click.userAgent,
    country: click.country,
  }));
  const columns =
    "id uuid, send_id bigint, message_campaign_id bigint, arm smallint, at timestamptz, bot boolean, user_agent text, country text";
  const result = await db.execute<{ received: number; known: number; stored: number }>(sql`
    WITH batch AS (SELECT * FROM ${recordset(rows, columns)}),
    known AS (
      SELECT b.* FROM batch b
        JOIN message_sends s ON s.id = b.send_id AND s.message_campaign_id = b.message_campaign_id AND s.arm = b.arm
    ),
    inserted AS (
      INSERT INTO message_clicks (id, send_id, message_campaign_id, arm, at, bot, user_agent, country)
      SELECT id, send_id, message_campaign_id, arm, at, bot, user_agent, country FROM known
      ON CONFLICT (id) DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM batch)::int AS received,
           (SELECT count(*) FROM known)::int AS known,
           (SELECT count(*) FROM inserted)::int AS stored`);
  const row = result.rows[0] ?? { received: 0, known: 0, stored: 0 };
  const received = Number(row.received);
  const known = Number(row.known);
  const stored = Number(row.stored);
  return { received, stored, duplicates: known - stored, unknownSends: received - known };
}

/**
 * The events consumer's part for `type: "message.click"` (registered in queues/events/handler.ts). Clicks
 * naming no such send are dropped and logged by count: a retry cannot make a forged token real.
 */
export const clickPart: {
  schema: typeof messageClickSchema;
  store(tx: Executor, messages: MessageClickMessage[]): Promise<{ counts: Record<string, number> }>;
} = {
  schema: messageClickSchema,
  async store(tx, messages) {
    const result = await storeClicks(tx, messages);
    if (result.unknownSends > 0)
      console.error(JSON.stringify({ event: "events.click_unknown_send", count: result.unknownSends }));
    return { counts: { ...result } };
  },
};
