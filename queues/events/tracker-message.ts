import { z } from "zod";

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const trackerId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

/** One event of a beacon, with the UUIDv7 the edge gave it. */
export const trackerEventSchema = z.object({
  id: z.uuid(),
  type: z.enum(["page_view", "click"]),
  url: z.string().max(2048),
  referrer: z.string().max(2048).nullable(),
  title: z.string().max(300).nullable(),
  element: z
    .object({
      tag: z.string().max(16),
      href: z.string().max(2048).nullable(),
      text: z.string().max(200).nullable(),
      id: z.string().max(128).nullable(),
    })
    .nullable(),
  occurredAt: z.iso.datetime({ offset: true }),
});

/** One `/collect` beacon as the edge accepted it: one message per request, up to 20 events. */
export const trackerMessageSchema = z.object({
  type: z.literal("tracker"),
  brandId: id,
  visitorId: trackerId,
  sessionId: trackerId,
  captureId: z.uuid().nullable(),
  /** The page's `lr_m` token, decoded by the consumer (decodeLinkToken) into the send it names. */
  linkToken: z.string().max(128).nullable(),
  clickIds: z.partialRecord(z.enum(["gclid", "fbclid", "ttclid", "click_id"]), z.string().max(256)),
  receivedAt: z.iso.datetime({ offset: true }),
  country: z.string().max(8).nullable(),
  userAgent: z.string().max(512).nullable(),
  bot: z.boolean(),
  events: z.array(trackerEventSchema).min(1).max(20),
});

export type TrackerMessage = z.infer<typeof trackerMessageSchema>;
export type TrackerEventMessage = z.infer<typeof trackerEventSchema>;

/** Tracker events to forward to a brand's GA4 property, sent after they were stored. */
export const ga4ForwardSchema = z.object({
  type: z.literal("tracker.ga4"),
  brandId: id,
  eventIds: z.array(z.uuid()).min(1).max(500),
});

export type Ga4ForwardMessage = z.infer<typeof ga4ForwardSchema>;
