import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { pgArray, recordset } from "../../db/sql.ts";
import { capResponseBody } from "../../domain/relay/delivery.ts";
import { fetchError, readCapped } from "../../domain/relay/http.ts";
import { type ForwardedEvent, type Ga4Request, ga4Requests, ga4Url } from "../../domain/tracking/ga4.ts";
import { describeError, retryDelaySeconds } from "../capture/failure.ts";
import { type Ga4ForwardMessage, ga4ForwardSchema } from "./tracker-message.ts";

export { type Ga4ForwardMessage, ga4ForwardSchema } from "./tracker-message.ts";

/** The longest one Measurement Protocol request may take. */
export const ga4TimeoutMs = 10_000;
/** Requests to GA4 in flight at once per batch. */
const ga4Concurrency = 6;

export interface Ga4ForwardReport {
  messages: number;
  /** Measurement Protocol requests made, and those answered 2xx. */
  requests: number;
  succeeded: number;
  failed: number;
  /** Events marked forwarded. */
  forwarded: number;
  acked: number;
  retried: number;
}

interface Loaded extends ForwardedEvent {
  brandId: number;
  measurementId: string;
  apiSecret: string;
}

interface Sent {
  brandId: number;
  request: Ga4Request;
  bytes: number;
  status: number | null;
  body: string | null;
  error: string | null;
  latencyMs: number;
  succeeded: boolean;
}

/**
 * Forwards `tracker.ga4` messages' events to each brand's GA4 property through the Measurement Protocol. One
 * statement reads the events still unforwarded (and not a bot's) with the brand's enabled settings; the
 * requests go out (one visitor and at most 25 events each, `GA4_ENDPOINT?measurement_id=…&api_secret=…`); one
 * statement stores every attempt in ga4_deliveries and marks the events of 2xx answers forwarded. A message
 * all of whose events are forwarded (or have nothing to forward: settings removed or disabled) is acked; one
 * with a failed request is retried with back-off and, after the queue's retries, goes to its dead-letter
 * queue (failed_events) like any other. A retry sends only what is still unforwarded.
 */
export async function forwardToGa4(
  db: Executor,
  messages: readonly Message<unknown>[],
  endpoint: string,
  retryBaseSeconds: number,
): Promise<Ga4ForwardReport> {
  const report: Ga4ForwardReport = {
    messages: messages.length,
    requests: 0,
    succeeded: 0,
    failed: 0,
    forwarded: 0,
    acked: 0,
    retried: 0,
  };
  const parsed: { message: Message<unknown>; body: Ga4ForwardMessage }[] = [];
  for (const message of messages) {
    const result = ga4ForwardSchema.safeParse(message.body);
    // The dispatcher routes only bodies of this type here; a malformed one has nothing to retry.
    if (result.success) parsed.push({ message, body: result.data });
    else {
      console.error(JSON.stringify({ event: "ga4.invalid_message", messageId: message.id }));
      message.ack();
      report.acked += 1;
    }
  }
  const retry = (message: Message<unknown>) => {
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts, retryBaseSeconds) });
    report.retried += 1;
  };
  const pairs = parsed.flatMap(({ body }) => body.eventIds.map((id) => ({ id, brand_id: body.brandId })));
  let loaded: Loaded[];
  try {
    loaded = await loadUnforwarded(db, pairs);
  } catch (error) {
    console.error(JSON.stringify({ event: "ga4.batch_failed", stage: "load", error: describeError(error) }));
    for (const { message } of parsed) retry(message);
    return report;
  }

  const byBrand = new Map<number, Loaded[]>();
  for (const event of loaded) {
    const list = byBrand.get(event.brandId);
    if (list) list.push(event);
    else byBrand.set(event.brandId, [event]);
  }
  const planned: { brandId: number; url: string; request: Ga4Request }[] = [];
  for (const [brandId, events] of byBrand) {
    const first = events[0];
    if (!first) continue;
    const url = ga4Url(endpoint, first.measurementId, first.apiSecret);
    for (const request of ga4Requests(events)) planned.push({ brandId, url, request });
  }
  const attempt = Math.max(1, ...parsed.map(({ message }) => message.attempts));
  const sent = await mapBounded(planned, ga4Concurrency, (item) =>
    post(item.brandId, item.url, item.request),
  );
  report.requests = sent.length;
  const failedIds = new Set<string>();
  for (const result of sent) {
    if (result.succeeded) report.succeeded += 1;
    else {
      report.failed += 1;
      for (const id of result.request.eventIds) failedIds.add(id);
      // Never the URL: its query carries the brand's API secret.
      console.error(
        JSON.stringify({
          event: "ga4.forward_failed",
          brandId: result.brandId,
          status: result.status,
          error: result.error,
          events: result.request.eventIds.length,
          attempt,
        }),
      );
    }
  }
  if (sent.length > 0) {
    try {
      report.forwarded = await recordDeliveries(db, sent, attempt);
    } catch (error) {
      // Sent but not recorded: every message comes back and GA4 may see those events twice.
      console.error(
        JSON.stringify({ event: "ga4.batch_failed", stage: "record", error: describeError(error) }),
      );
      for (const { message } of parsed) retry(message);
      return report;
    }
  }
  for (const { message, body } of parsed) {
    if (body.eventIds.some((id) => failedIds.has(id))) retry(message);
    else {
      message.ack();
      report.acked += 1;
    }
  }
  console.log(JSON.stringify({ event: "ga4.batch", ...report }));
  return report;
}

async function loadUnforwarded(db: Executor, pairs: { id: string; brand_id: number }[]): Promise<Loaded[]> {
  if (pairs.length === 0) return [];
  const result = await db.execute<{
    id: string;
    brand_id: number;
    visitor_id: string;
    type: string;
    url: string;
    referrer: string | null;
    title: string | null;
    element: { href?: string | null; text?: string | null } | null;
    measurement_id: string;
    api_secret: string;
  }>(sql`
    SELECT e.id, e.brand_id, e.visitor_id, e.type, e.url, e.referrer, e.title, e.element,
           g.measurement_id, g.api_secret
      FROM ${recordset(pairs, "id uuid, brand_id bigint")}
      JOIN tracker_events e ON e.id = r.id AND e.brand_id = r.brand_id
      JOIN brand_ga4_settings g ON g.brand_id = e.brand_id AND g.enabled
     WHERE e.ga4_forwarded_at IS NULL AND NOT e.bot
     ORDER BY e.occurred_at, e.id`);
  return result.rows.map((row) => ({
    id: row.id,
    brandId: Number(row.brand_id),
    visitorId: row.visitor_id,
    type: row.type,
    url: row.url,
    referrer: row.referrer,
    title: row.title,
    element: row.element,
    measurementId: row.measurement_id,
    apiSecret: row.api_secret,
  }));
}

async function post(brandId: number, url: string, request: Ga4Request): Promise<Sent> {
  const body = JSON.stringify(request.body);
  const started = Date.now();
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(ga4TimeoutMs),
    });
    const answer = await readCapped(response);
    const succeeded = response.status >= 200 && response.status < 300;
    return {
      brandId,
      request,
      bytes: body.length,
      status: response.status,
      body: answer.body,
      error: succeeded ? null : `http ${response.status}`,
      latencyMs: Date.now() - started,
      succeeded,
    };
  } catch (error) {
    return {
      brandId,
      request,
      bytes: body.length,
      status: null,
      body: null,
      error: capResponseBody(fetchError(error, ga4TimeoutMs)).body,
      latencyMs: Date.now() - started,
      succeeded: false,
    };
  }
}

/** One statement: every attempt into ga4_deliveries, the events of 2xx answers marked forwarded. */
async function recordDeliveries(db: Executor, sent: readonly Sent[], attempt: number): Promise<number> {
  const rows = sent.map((item) => ({
    brand_id: item.brandId,
    event_ids: pgArray(item.request.eventIds),
    attempt,
    response_status: item.status,
    response_body: item.body,
    error: item.error,
    succeeded: item.succeeded,
    latency_ms: item.latencyMs,
    request_bytes: item.bytes,
  }));
  const forwarded = sent.flatMap((item) => (item.succeeded ? item.request.eventIds : []));
  const result = await db.execute<{ forwarded: number }>(sql`
    WITH attempts AS (
      INSERT INTO ga4_deliveries (brand_id, event_ids, attempt, response_status, response_body, error, succeeded,
          latency_ms, request_bytes)
      SELECT brand_id, event_ids::uuid[], attempt, response_status, response_body, error, succeeded, latency_ms,
          request_bytes
        FROM ${recordset(rows, "brand_id bigint, event_ids text, attempt integer, response_status integer, response_body text, error text, succeeded boolean, latency_ms integer, request_bytes integer")}
      RETURNING 1
    ),
    marked AS (
      UPDATE tracker_events SET ga4_forwarded_at = now()
       WHERE id = ANY(${pgArray(forwarded)}::uuid[]) AND ga4_forwarded_at IS NULL
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM marked)::int AS forwarded, (SELECT count(*) FROM attempts)::int AS attempts`);
  return Number(result.rows[0]?.forwarded ?? 0);
}

async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      const item = items[index];
      if (item !== undefined) results[index] = await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
