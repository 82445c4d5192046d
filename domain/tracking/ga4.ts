import { eq, sql } from "drizzle-orm";
import { brandGa4Settings } from "../../db/schema/tracking.ts";
import { FieldErrors, NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import type { VerbContext } from "../core/verb.ts";

/** GA4's Measurement Protocol endpoint, unless `GA4_ENDPOINT` names another (tests use a loopback sink). */
export const defaultGa4Endpoint = "https://www.google-analytics.com/mp/collect";
/** The Measurement Protocol takes at most this many events per request. */
export const maxGa4Events = 25;

export type Ga4Settings = typeof brandGa4Settings.$inferSelect;

export interface Ga4SettingsInput {
  brandId: number;
  measurementId: string;
  apiSecret: string;
  enabled: boolean;
}

const measurementIdShape = /^G-[A-Z0-9]{4,20}$/;

/** The field errors of GA4 settings: a `G-…` measurement id and an API secret as GA4 shows them. */
export function ga4SettingsErrors(input: Ga4SettingsInput): FieldErrors {
  const errors = new FieldErrors();
  if (!measurementIdShape.test(input.measurementId))
    errors.add("measurement_id", "malformed", "A GA4 measurement id: G- and 4 to 20 of A-Z 0-9.");
  if (input.apiSecret.trim().length < 8)
    errors.add("api_secret", "too_short", "The Measurement Protocol API secret, at least 8 characters.");
  else if (!/^[\x21-\x7e]+$/.test(input.apiSecret))
    errors.add("api_secret", "malformed", "Printable ASCII without spaces, as GA4 shows it.");
  return errors;
}

/** The secret as the API shows it: its last four characters only. */
export const maskSecret = (secret: string): string => `••••${secret.slice(-4)}`;

/** Creates or replaces a brand's GA4 settings; `created` says which. */
export async function putGa4Settings({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: Ga4SettingsInput;
}): Promise<{ settings: Ga4Settings; created: boolean }> {
  assertBrand(ctx.principal, input.brandId);
  ga4SettingsErrors(input).throwIfAny();
  return withTransaction(ctx.db, async (tx) => {
    const found = await tx.execute<{ brand: boolean; settings: boolean }>(
      sql`SELECT EXISTS (SELECT 1 FROM brands WHERE id = ${input.brandId}) AS brand,
        EXISTS (SELECT 1 FROM brand_ga4_settings WHERE brand_id = ${input.brandId}) AS settings`,
    );
    if (!found.rows[0]?.brand) throw new NotFound("brand");
    const values = { measurementId: input.measurementId, apiSecret: input.apiSecret, enabled: input.enabled };
    const [row] = await tx
      .insert(brandGa4Settings)
      .values({ brandId: input.brandId, ...values })
      .onConflictDoUpdate({ target: brandGa4Settings.brandId, set: { ...values, updatedAt: sql`now()` } })
      .returning();
    if (!row) throw new NotFound("brand");
    return { settings: row, created: !found.rows[0]?.settings };
  });
}

export async function getGa4Settings({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { brandId: number };
}): Promise<Ga4Settings> {
  assertBrand(ctx.principal, input.brandId);
  const [row] = await ctx.db
    .select()
    .from(brandGa4Settings)
    .where(eq(brandGa4Settings.brandId, input.brandId));
  if (!row) throw new NotFound("GA4 settings", "The brand has no GA4 settings.");
  return row;
}

/** Removes a brand's GA4 settings: its tracker events are no longer forwarded (those queued are dropped). */
export async function deleteGa4Settings({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { brandId: number };
}): Promise<void> {
  assertBrand(ctx.principal, input.brandId);
  const deleted = await ctx.db
    .delete(brandGa4Settings)
    .where(eq(brandGa4Settings.brandId, input.brandId))
    .returning({ brandId: brandGa4Settings.brandId });
  if (deleted.length === 0) throw new NotFound("GA4 settings", "The brand has no GA4 settings.");
}

/** A stored tracker event as forwarding reads it. */
export interface ForwardedEvent {
  id: string;
  visitorId: string;
  type: string;
  url: string;
  referrer: string | null;
  title: string | null;
  element: { href?: string | null; text?: string | null } | null;
}

export interface Ga4Event {
  name: string;
  params: Record<string, string | number>;
}

/** One Measurement Protocol request body: one visitor (`client_id`), at most {@link maxGa4Events} events. */
export interface Ga4Request {
  eventIds: string[];
  body: { client_id: string; events: Ga4Event[] };
}

/**
 * A tracker event as GA4 names it: `page_view` with `page_location`, `page_referrer`, `page_title`; a click as
 * GA4's enhanced-measurement `click` with `link_url` and `link_text` beside the page. `engagement_time_msec: 1`
 * makes GA4 count the visitor active. Params without a value are left out (GA4 takes no nulls).
 */
export function ga4Event(event: ForwardedEvent): Ga4Event {
  const params: Record<string, string | number> = { page_location: event.url };
  if (event.referrer) params.page_referrer = event.referrer;
  if (event.title) params.page_title = event.title;
  if (event.type === "click") {
    if (event.element?.href) params.link_url = event.element.href;
    if (event.element?.text) params.link_text = event.element.text.slice(0, 100);
  }
  params.engagement_time_msec = 1;
  return { name: event.type === "click" ? "click" : "page_view", params };
}

/** The requests for `events` (in their order): grouped by visitor, at most {@link maxGa4Events} per request. */
export function ga4Requests(events: readonly ForwardedEvent[]): Ga4Request[] {
  const byVisitor = new Map<string, ForwardedEvent[]>();
  for (const event of events) {
    const list = byVisitor.get(event.visitorId);
    if (list) list.push(event);
    else byVisitor.set(event.visitorId, [event]);
  }
  const requests: Ga4Request[] = [];
  for (const [visitorId, list] of byVisitor) {
    for (let start = 0; start < list.length; start += maxGa4Events) {
      const chunk = list.slice(start, start + maxGa4Events);
      requests.push({
        eventIds: chunk.map((event) => event.id),
        body: { client_id: visitorId, events: chunk.map(ga4Event) },
      });
    }
  }
  return requests;
}

/** The request URL: the endpoint with `measurement_id` and `api_secret` in its query. */
export function ga4Url(endpoint: string, measurementId: string, apiSecret: string): string {
  const url = new URL(endpoint);
  url.searchParams.set("measurement_id", measurementId);
  url.searchParams.set("api_secret", apiSecret);
  return url.href;
}
