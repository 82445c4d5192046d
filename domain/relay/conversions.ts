import {
  and,
  desc,
  eq,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  type SQL,
  type SQLWrapper,
  sql,
} from "drizzle-orm";
import { captures } from "../../db/schema/capture.ts";
import { inboundConversions } from "../../db/schema/relay.ts";
import { ValidationFailed } from "../core/errors.ts";
import type { Page, PageInput, VerbContext } from "../core/verb.ts";

/**
 * Reading the conversions partners reported to `/pb` (stored by queues/events/conversion.ts). A
 * conversion belongs to the brand of the capture it was attached to; partners are shared by every
 * brand, so one that matched no capture (yet) belongs to no brand and only a key for every brand sees
 * it. It becomes visible to its brand's keys once a later capture claims it.
 */

/** `matched`: attached to a capture; `unmatched`: none found yet (a later capture may still claim it). */
export const conversionStatuses = ["matched", "unmatched"] as const;
export type ConversionStatus = (typeof conversionStatuses)[number];

export interface Conversion {
  id: number;
  partnerId: number;
  captureId: string | null;
  /** The brand of its capture; null while unmatched (or for a capture without a brand). */
  brandId: number | null;
  clickId: string | null;
  /** As the partner sent it; null when it sent only a click id (the stored key is then made up). */
  transactionId: string | null;
  event: string;
  /** Minor units of `currency`. */
  amount: number | null;
  currency: string | null;
  /** Every parameter as received; the signature is removed at the edge and never stored. */
  params: Record<string, string>;
  receivedAt: Date;
  createdAt: Date;
}

/** How many conversions a capture's detail carries, newest first; the rest are a cursor away. */
export const captureConversionLimit = 100;

const asParams = (raw: unknown): Record<string, string> => {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return {};
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) if (typeof value === "string") params[name] = value;
  return params;
};

/**
 * A click-only conversion is stored under the key `click:<click id>:<event>` (its idempotency key),
 * which is not something the partner sent: show a transaction id only when the parameters carry one.
 */
const sentTransactionId = (storedKey: string, params: Record<string, string>): string | null =>
  params.transaction_id ? storedKey : null;

interface ConversionRow {
  id: number;
  partnerId: number;
  captureId: string | null;
  brandId: number | null;
  clickId: string | null;
  storedKey: string;
  event: string;
  amount: number | null;
  currency: string | null;
  raw: unknown;
  receivedAt: Date;
  createdAt: Date;
}

function toConversion(row: ConversionRow): Conversion {
  const params = asParams(row.raw);
  return {
    id: row.id,
    partnerId: row.partnerId,
    captureId: row.captureId,
    brandId: row.brandId,
    clickId: row.clickId,
    transactionId: sentTransactionId(row.storedKey, params),
    event: row.event,
    amount: row.amount,
    currency: row.currency,
    params,
    receivedAt: row.receivedAt,
    createdAt: row.createdAt,
  };
}

export interface ConversionFilter {
  partnerId?: number | undefined;
  /** A capture id (UUID, any case). */
  captureId?: string | undefined;
  event?: string | undefined;
  status?: ConversionStatus | undefined;
  /** Received at or after. */
  since?: Date | undefined;
  /** Received before. */
  until?: Date | undefined;
}

function filterConditions(filter: ConversionFilter): (SQL | undefined)[] {
  return [
    filter.partnerId === undefined ? undefined : eq(inboundConversions.partnerId, filter.partnerId),
    filter.captureId === undefined
      ? undefined
      : eq(inboundConversions.captureId, filter.captureId.toLowerCase()),
    filter.event === undefined ? undefined : eq(inboundConversions.event, filter.event),
    filter.status === undefined
      ? undefined
      : filter.status === "matched"
        ? isNotNull(inboundConversions.captureId)
        : isNull(inboundConversions.captureId),
    filter.since === undefined ? undefined : gte(inboundConversions.receivedAt, filter.since),
    filter.until === undefined ? undefined : lt(inboundConversions.receivedAt, filter.until),
  ];
}

/**
 * Conversions, newest first (keyset on the id: the cursor is the last id seen). A key limited to some
 * brands sees only those attached to captures of its brands. `until` must lie after `since`.
 */
export async function listConversions({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & ConversionFilter;
}): Promise<Page<Conversion>> {
  if (input.since !== undefined && input.until !== undefined && input.since >= input.until)
    throw new ValidationFailed([
      { field: "until", category: "out_of_range", message: "Must be after since." },
    ]);
  const scope = ctx.principal.brandIds;
  const rows = await ctx.db
    .select({
      id: inboundConversions.id,
      partnerId: inboundConversions.partnerId,
      captureId: inboundConversions.captureId,
      brandId: captures.brandId,
      clickId: inboundConversions.clickId,
      storedKey: inboundConversions.transactionId,
      event: inboundConversions.event,
      amount: inboundConversions.amount,
      currency: inboundConversions.currency,
      raw: inboundConversions.raw,
      receivedAt: inboundConversions.receivedAt,
      createdAt: inboundConversions.createdAt,
    })
    .from(inboundConversions)
    .leftJoin(captures, eq(captures.id, inboundConversions.captureId))
    .where(
      and(
        input.after === null ? undefined : lt(inboundConversions.id, input.after),
        ...filterConditions(input),
        scope === null ? undefined : inArray(captures.brandId, [...scope]),
      ),
    )
    .orderBy(desc(inboundConversions.id))
    .limit(input.limit + 1);
  const items = rows.slice(0, input.limit).map(toConversion);
  const last = items[items.length - 1];
  return { items, nextAfter: rows.length > input.limit && last ? last.id : null };
}

/** A capture's conversions as {@link captureConversionsJson} aggregates them (JSON: ids and times as text). */
export interface CaptureConversionJson {
  id: number | string;
  partner_id: number | string;
  capture_id: string;
  brand_id: number | string | null;
  click_id: string | null;
  transaction_id: string;
  event: string;
  amount: number | string | null;
  currency: string | null;
  raw: unknown;
  received_at: string;
  created_at: string;
}

/**
 * The newest {@link captureConversionLimit} + 1 conversions of a capture as one JSON array, newest
 * first, for a capture read to fetch in the same query (the extra one only says there are more).
 */
export const captureConversionsJson = (captureId: SQLWrapper) =>
  sql<CaptureConversionJson[]>`(
    SELECT coalesce(json_agg(x ORDER BY x.id DESC), '[]'::json) FROM (
      SELECT ic.id, ic.partner_id, ic.capture_id, c.brand_id, ic.click_id, ic.transaction_id, ic.event,
             ic.amount, ic.currency, ic.raw, ic.received_at, ic.created_at
        FROM inbound_conversions ic JOIN captures c ON c.id = ic.capture_id
       WHERE ic.capture_id = ${captureId}
       ORDER BY ic.id DESC LIMIT ${captureConversionLimit + 1}) x)`;

const numberOrNull = (value: number | string | null): number | null =>
  value === null ? null : Number(value);

/** The page {@link captureConversionsJson} fetched: at most the limit, and where to continue. */
export function captureConversionsPage(json: readonly CaptureConversionJson[]): Page<Conversion> {
  const items = json.slice(0, captureConversionLimit).map((row) =>
    toConversion({
      id: Number(row.id),
      partnerId: Number(row.partner_id),
      captureId: row.capture_id,
      brandId: numberOrNull(row.brand_id),
      clickId: row.click_id,
      storedKey: row.transaction_id,
      event: row.event,
      amount: numberOrNull(row.amount),
      currency: row.currency,
      raw: row.raw,
      receivedAt: new Date(row.received_at),
      createdAt: new Date(row.created_at),
    }),
  );
  const last = items[items.length - 1];
  return { items, nextAfter: json.length > captureConversionLimit && last ? last.id : null };
}
