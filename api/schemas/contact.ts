import { z } from "@hono/zod-openapi";
import { contactEventType, relationshipState } from "../../db/schema/identity.ts";
import type { ContactDetail, Relationship } from "../../domain/contacts/contacts.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { hashId, iso, isoOrNull, timestamp } from "./common.ts";

const nullableTimestamp = timestamp.nullable();

export const relationshipSchema = z
  .object({
    contact: hashId("Contact id."),
    brand: hashId("Brand id."),
    state: z.enum(relationshipState.enumValues),
    capture_count: z.number().int(),
    duplicate_count: z.number().int(),
    first_capture_id: z.string().nullable(),
    last_capture_id: z.string().nullable(),
    unsubscribed_at: nullableTimestamp,
    unsubscribe_source: z.string().nullable(),
    restored_at: nullableTimestamp,
    restore_count: z.number().int(),
    deleted_at: nullableTimestamp.openapi({
      description: "Set while unsubscribed (soft-deleted; history is kept).",
    }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Relationship");
export type RelationshipJson = z.infer<typeof relationshipSchema>;

export const presentRelationship = (ids: HashIds, relationship: Relationship): RelationshipJson => ({
  contact: ids.encode("contact", relationship.contactId),
  brand: ids.encode("brand", relationship.brandId),
  state: relationship.state,
  capture_count: relationship.captureCount,
  duplicate_count: relationship.duplicateCount,
  first_capture_id: relationship.firstCaptureId,
  last_capture_id: relationship.lastCaptureId,
  unsubscribed_at: isoOrNull(relationship.unsubscribedAt),
  unsubscribe_source: relationship.unsubscribeSource,
  restored_at: isoOrNull(relationship.restoredAt),
  restore_count: relationship.restoreCount,
  deleted_at: isoOrNull(relationship.deletedAt),
  created_at: iso(relationship.createdAt),
  updated_at: iso(relationship.updatedAt),
});

export const contactSchema = z
  .object({
    id: hashId("Contact id."),
    email: z.object({
      address: z.string().openapi({ description: "The normalised address.", example: "janedoe@gmail.com" }),
      domain: z.string(),
      sha256: z.string(),
      md5: z.string(),
      hard_bounced_at: nullableTimestamp,
    }),
    first_capture_id: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
    brands: z.array(relationshipSchema),
    events: z
      .array(
        z.object({
          type: z.enum(contactEventType.enumValues),
          brand: z.string().nullable(),
          capture_id: z.string().nullable(),
          source: z.string(),
          detail: z.unknown(),
          occurred_at: timestamp,
        }),
      )
      .openapi({ description: "The most recent events, newest first." }),
  })
  .openapi("Contact");
export type ContactJson = z.infer<typeof contactSchema>;

const eventTypes: readonly string[] = contactEventType.enumValues;

/** Internal references an event's detail may hold: each is shown as the hash id of that kind, under its name. */
const detailReferences = { landingId: "landing", partnerId: "partner" } as const;

/**
 * An event's detail as the API shows it: the consumer records the landing and partner of a capture by
 * their internal ids, which never leave the system, so they are shown as hash ids.
 */
export function presentEventDetail(ids: HashIds, detail: unknown): unknown {
  if (detail === null || typeof detail !== "object" || Array.isArray(detail)) return detail;
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(detail)) {
    const kind = detailReferences[key as keyof typeof detailReferences];
    if (kind === undefined) shown[key] = value;
    else if (typeof value === "number") shown[kind] = ids.encode(kind, value);
  }
  return shown;
}
type EventType = (typeof contactEventType.enumValues)[number];

export const presentContact = (ids: HashIds, contact: ContactDetail): ContactJson => ({
  id: ids.encode("contact", contact.id),
  email: {
    address: contact.email.address,
    domain: contact.email.domain,
    sha256: contact.email.sha256,
    md5: contact.email.md5,
    hard_bounced_at: isoOrNull(contact.email.hardBouncedAt),
  },
  first_capture_id: contact.firstCaptureId,
  created_at: iso(contact.createdAt),
  updated_at: iso(contact.updatedAt),
  brands: contact.relationships.map((relationship) => presentRelationship(ids, relationship)),
  events: contact.events
    .filter((event): event is typeof event & { type: EventType } => eventTypes.includes(event.type))
    .map((event) => ({
      type: event.type,
      brand: event.brandId === null ? null : ids.encode("brand", event.brandId),
      capture_id: event.captureId,
      source: event.source,
      detail: presentEventDetail(ids, event.detail),
      occurred_at: iso(event.occurredAt),
    })),
});
