import { z } from "@hono/zod-openapi";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { leadValueNames, type RelayTarget, relayTargetEvents } from "../../domain/relay/targets.ts";
import { hashId, httpUrl, iso, name, timestamp } from "./common.ts";
import { contentType, delaySeconds, deliveryHeaders, maskHeaderValues, signingSecret } from "./delivery.ts";

const method = z.enum(["get", "post"]).openapi({ description: "`get` sends the mapped fields as a query." });

/** Read at each attempt, as are the method, body type, headers and field mapping. */
const targetUrl = httpUrl.openapi({
  description:
    "Where leads are sent. Read at each attempt, with the method, body type, headers and field mapping: a corrected URL or mapping applies to retries and resends of relays already made (a relay keeps the lead's values).",
});

const knownValues = new Set<string>(leadValueNames);

/** Outgoing field name → the lead value it carries; each value must be one stage 10 resolves. */
const fieldMapping = z
  .record(
    z.string().regex(/^[A-Za-z0-9_.[\]-]{1,64}$/, "A field name: letters, digits, `_`, `.`, `-`, `[]`."),
    z.string(),
  )
  .superRefine((mapping, ctx) => {
    for (const [outgoing, source] of Object.entries(mapping))
      if (!knownValues.has(source))
        ctx.addIssue({
          code: "custom",
          path: [outgoing],
          message: `Not a lead value; one of ${leadValueNames.join(", ")}.`,
          params: { category: "not_allowed" },
        });
  })
  .refine((mapping) => Object.keys(mapping).length <= 100, {
    message: "At most 100 fields.",
    params: { category: "too_long" },
  })
  .openapi({ example: { lead_email: "email", fname: "first_name", source: "utm_source" } });

const events = z
  .array(z.enum(relayTargetEvents))
  .min(1)
  .max(relayTargetEvents.length)
  .refine((list) => new Set(list).size === list.length, {
    message: "Each event at most once.",
    params: { category: "not_allowed" },
  });

export const relayTargetSchema = z
  .object({
    id: hashId("Relay target id."),
    brand: hashId("Brand id."),
    name: z.string(),
    url: z.string(),
    method,
    content_type: contentType,
    headers: z
      .record(z.string(), z.string())
      .openapi({ description: "Extra headers; values of secret-looking names are masked." }),
    has_signing_secret: z.boolean(),
    field_mapping: z.record(z.string(), z.string()),
    events: z.array(z.enum(relayTargetEvents)),
    delay_seconds: z.number().int(),
    active: z.boolean(),
    created_at: timestamp,
  })
  .openapi("RelayTarget");
export type RelayTargetJson = z.infer<typeof relayTargetSchema>;

const stringRecord = (value: unknown): Record<string, string> =>
  value !== null && typeof value === "object"
    ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]))
    : {};

export const presentRelayTarget = (ids: HashIds, target: RelayTarget): RelayTargetJson => ({
  id: ids.encode("relayTarget", target.id),
  brand: ids.encode("brand", target.brandId),
  name: target.name,
  url: target.url,
  method: target.method === "get" ? "get" : "post",
  content_type: target.contentType === "form" ? "form" : "json",
  headers: maskHeaderValues(target.headers),
  has_signing_secret: target.signingSecret !== null,
  field_mapping: stringRecord(target.fieldMapping),
  events: target.events.filter((event): event is RelayTargetJson["events"][number] =>
    (relayTargetEvents as readonly string[]).includes(event),
  ),
  delay_seconds: target.delaySeconds,
  active: target.active,
  created_at: iso(target.createdAt),
});

export const createRelayTargetBody = z
  .strictObject({
    brand: hashId("Brand id."),
    name,
    url: targetUrl,
    method: method.default("post"),
    content_type: contentType.default("json"),
    headers: deliveryHeaders.default({}),
    signing_secret: signingSecret.default(null),
    field_mapping: fieldMapping,
    events: events.default(["lead_accepted"]),
    delay_seconds: delaySeconds.default(0),
    active: z.boolean().default(true),
  })
  .openapi("CreateRelayTarget");

export const updateRelayTargetBody = z
  .strictObject({
    name: name.optional(),
    url: targetUrl.optional(),
    method: method.optional(),
    content_type: contentType.optional(),
    headers: deliveryHeaders.optional(),
    signing_secret: signingSecret.optional(),
    field_mapping: fieldMapping.optional(),
    events: events.optional(),
    delay_seconds: delaySeconds.optional(),
    active: z.boolean().optional(),
  })
  .openapi("UpdateRelayTarget");

/** The body's settings in the domain's words; `undefined` stays undefined (a PATCH leaves it). */
export function relayTargetSettings(body: z.infer<typeof updateRelayTargetBody>) {
  return {
    name: body.name,
    url: body.url,
    method: body.method,
    contentType: body.content_type,
    headers: body.headers,
    signingSecret: body.signing_secret,
    fieldMapping: body.field_mapping,
    events: body.events,
    delaySeconds: body.delay_seconds,
    active: body.active,
  };
}
