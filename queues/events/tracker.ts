import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { executePrepared } from "../../db/prepared.ts";
import { recordset } from "../../db/sql.ts";
import { decodeLinkToken } from "../../domain/messaging/links.ts";
import { type Env, edgeConfig } from "../../domain/platform/env.ts";
import { describeError } from "../capture/failure.ts";
import { type Ga4ForwardMessage, type TrackerMessage, trackerMessageSchema } from "./tracker-message.ts";

export { type TrackerMessage, trackerMessageSchema } from "./tracker-message.ts";

/** What storing one batch of tracker beacons did. */
export interface TrackerBatchResult {
  received: number;
  /** New tracker_events rows. */
  stored: number;
  /** Already stored (a redelivered beacon). */
  duplicates: number;
  /** Events of a brand that does not exist: dropped. */
  unknownBrands: number;
  /** Stored rows that named an existing capture, a send, and those with a contact. */
  linkedCaptures: number;
  linkedSends: number;
  linkedContacts: number;
  /** Per brand with GA4 forwarding on: the events to forward (stored now, or stored before and not forwarded). */
  forward: { brandId: number; eventIds: string[] }[];
}

/**
 * One row per beacon and one per event, joined on the beacon's position `n`: the beacon's fields (user agent,
 * ids) travel once, and both relations keep the planner's estimate of a recordset (an array unpacked per beacon
 * would be estimated at 100 events each, and JIT-compiled for a cost it never has).
 */
const beaconColumns = [
  "brand_id bigint",
  "visitor_id text",
  "session_id text",
  "capture_ref uuid",
  "send_id bigint",
  "send_campaign_id bigint",
  "send_arm integer",
  "click_ids jsonb",
  "country text",
  "user_agent text",
  "bot boolean",
  "received_at timestamptz",
  "n integer",
].join(", ");
const eventColumns =
  'n integer, id uuid, type text, url text, referrer text, title text, element jsonb, "occurredAt" timestamptz';

/**
 * Stores a batch of beacons' events in one statement, whatever its size. Each event links to the capture its
 * page named when that capture exists under the same brand, to the send its `lr_m` token names when the send
 * exists with that campaign, arm and brand, and to a contact: the capture's, else the send's, else one another
 * event of the visitor in this batch resolved, else the newest earlier event of the visitor that had one.
 * ON CONFLICT (id) DO NOTHING, so a redelivered beacon changes nothing. Also returns, per brand whose GA4
 * forwarding is on, the person (not bot) events of the batch not forwarded yet: a redelivery after a lost
 * forward message forwards them again.
 */
export async function storeTrackerEvents(
  db: Executor,
  messages: readonly TrackerMessage[],
  alphabet: string,
): Promise<TrackerBatchResult> {
  const empty: TrackerBatchResult = {
    received: 0,
    stored: 0,
    duplicates: 0,
    unknownBrands: 0,
    linkedCaptures: 0,
    linkedSends: 0,
    linkedContacts: 0,
    forward: [],
  };
  if (messages.length === 0) return empty;
  const events = messages.flatMap((message, n) => message.events.map((event) => ({ n, ...event })));
  const rows = messages.map((message, n) => {
    const token = message.linkToken === null ? null : decodeLinkToken(alphabet, message.linkToken);
    return {
      brand_id: message.brandId,
      visitor_id: message.visitorId,
      session_id: message.sessionId,
      capture_ref: message.captureId,
      send_id: token?.sendId ?? null,
      send_campaign_id: token?.messageCampaignId ?? null,
      send_arm: token?.arm ?? null,
      click_ids: message.clickIds,
      country: message.country,
      user_agent: message.userAgent,
      bot: message.bot,
      received_at: message.receivedAt,
      n,
    };
  });
  // A text fixed whatever the batch (the rows are two jsonb parameters): parsed and planned once per connection.
  const result = await executePrepared<{
    received: number;
    known: number;
    stored: number;
    captures: number;
    sends: number;
    contacts: number;
    forward: { brandId: number; eventIds: string[] }[] | null;
  }>(
    db,
    sql`
    WITH beacon AS (SELECT * FROM ${recordset(rows, beaconColumns)}),
    batch AS (
      SELECT r.id, b.brand_id, b.visitor_id, b.session_id, r.type, r.url, r.referrer, r.title, r.element,
             b.capture_ref, b.send_id, b.send_campaign_id, b.send_arm, b.click_ids, b.country, b.user_agent, b.bot,
             r."occurredAt" AS occurred_at, b.received_at
        FROM ${recordset(events, eventColumns)}
        JOIN beacon b ON b.n = r.n
    ),
    known AS (
      SELECT b.*, c.id AS capture_id, s.id AS message_send_id, coalesce(c.contact_id, s.contact_id) AS direct_contact
        FROM batch b
        JOIN brands br ON br.id = b.brand_id
        LEFT JOIN captures c ON c.id = b.capture_ref AND c.brand_id = b.brand_id
        LEFT JOIN message_sends s ON s.id = b.send_id AND s.message_campaign_id = b.send_campaign_id
          AND s.arm = b.send_arm AND s.brand_id = b.brand_id
    ),
    resolved AS (
      SELECT k.*, coalesce(
          k.direct_contact,
          max(k.direct_contact) OVER (PARTITION BY k.brand_id, k.visitor_id),
          (SELECT e.contact_id FROM tracker_events e
            WHERE e.visitor_id = k.visitor_id AND e.brand_id = k.brand_id AND e.contact_id IS NOT NULL
              AND e.occurred_at <= k.occurred_at
            ORDER BY e.occurred_at DESC LIMIT 1)
        ) AS contact_id
        FROM known k
    ),
    inserted AS (
      INSERT INTO tracker_events (id, brand_id, visitor_id, session_id, type, url, referrer, title, element,
          capture_id, contact_id, message_send_id, click_ids, country, user_agent, bot, occurred_at, received_at)
      SELECT id, brand_id, visitor_id, session_id, type, url, referrer, title, element,
          capture_id, contact_id, message_send_id, coalesce(click_ids, '{}'::jsonb), country, user_agent, bot,
          occurred_at, received_at
        FROM resolved
      ON CONFLICT (id) DO NOTHING
      RETURNING id, brand_id, bot, capture_id, message_send_id, contact_id
    ),
    unforwarded AS (
      SELECT id, brand_id FROM inserted WHERE NOT bot
      UNION
      -- Stored by an earlier delivery and still not forwarded; a scalar subquery, so one primary-key probe each.
      SELECT b.id, b.brand_id FROM batch b
       WHERE EXISTS (SELECT 1 FROM brand_ga4_settings g WHERE g.brand_id = b.brand_id AND g.enabled)
         AND (SELECT NOT e.bot AND e.ga4_forwarded_at IS NULL FROM tracker_events e WHERE e.id = b.id)
    )
    SELECT (SELECT count(*) FROM batch)::int AS received,
           (SELECT count(*) FROM known)::int AS known,
           (SELECT count(*) FROM inserted)::int AS stored,
           (SELECT count(capture_id) FROM inserted)::int AS captures,
           (SELECT count(message_send_id) FROM inserted)::int AS sends,
           (SELECT count(contact_id) FROM inserted)::int AS contacts,
           (SELECT json_agg(json_build_object('brandId', f.brand_id, 'eventIds', f.ids))
              FROM (SELECT u.brand_id, array_agg(u.id ORDER BY u.id) AS ids
                      FROM unforwarded u JOIN brand_ga4_settings g ON g.brand_id = u.brand_id AND g.enabled
                     GROUP BY u.brand_id) f) AS forward`,
  );
  const row = result.rows[0];
  if (!row) return empty;
  const received = Number(row.received);
  const known = Number(row.known);
  const stored = Number(row.stored);
  return {
    received,
    stored,
    duplicates: known - stored,
    unknownBrands: received - known,
    linkedCaptures: Number(row.captures),
    linkedSends: Number(row.sends),
    linkedContacts: Number(row.contacts),
    forward: (row.forward ?? []).map((item) => ({ brandId: Number(item.brandId), eventIds: item.eventIds })),
  };
}

/** A forward message carries at most this many event ids (Queues takes 128 KB per message). */
const idsPerForward = 500;

/** The GA4 forward messages of a stored batch, one per brand and up to {@link idsPerForward} events. */
export function forwardMessages(forward: TrackerBatchResult["forward"]): Ga4ForwardMessage[] {
  return forward.flatMap(({ brandId, eventIds }) => {
    const list: Ga4ForwardMessage[] = [];
    for (let start = 0; start < eventIds.length; start += idsPerForward)
      list.push({ type: "tracker.ga4", brandId, eventIds: eventIds.slice(start, start + idsPerForward) });
    return list;
  });
}

/**
 * The events consumer's part for `type: "tracker"` (registered in queues/events/handler.ts). After COMMIT it
 * puts the GA4 forwarding on the events queue as `tracker.ga4` messages: the HTTP calls then run in their own
 * deliveries, retried on their own, never holding a batch's transaction or its other messages.
 */
export const trackerPart = {
  schema: trackerMessageSchema,
  async store(tx: Executor, messages: TrackerMessage[], env: Env) {
    const { forward, ...counts } = await storeTrackerEvents(tx, messages, edgeConfig(env).SQIDS_ALPHABET);
    if (counts.unknownBrands > 0)
      console.error(JSON.stringify({ event: "events.tracker_unknown_brand", count: counts.unknownBrands }));
    const forwards = forwardMessages(forward);
    return {
      counts: { ...counts, ga4Forwards: forwards.length },
      afterCommit:
        forwards.length === 0
          ? undefined
          : async (_db: Executor, workerEnv: Env) => {
              for (let start = 0; start < forwards.length; start += 100) {
                const chunk = forwards.slice(start, start + 100);
                try {
                  await workerEnv.EVENTS_QUEUE.sendBatch(
                    chunk.map((body) => ({ body, contentType: "json" as const })),
                  );
                } catch (error) {
                  // The events are stored; retrying the beacons (a no-op for them) sends the forwards again.
                  console.error(
                    JSON.stringify({
                      event: "events.tracker_forward_enqueue_failed",
                      error: describeError(error),
                    }),
                  );
                  throw error;
                }
              }
            },
    };
  },
};
