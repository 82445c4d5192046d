import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { pgArray, recordset } from "../../db/sql.ts";
import { type MessageChannel, messageChannels, messageClasses } from "../../domain/messaging/channels.ts";
import { type FrequencyCap, templateStatuses } from "../../domain/messaging/compliance.ts";
import { nationalPhoneSql } from "../../domain/messaging/opt-outs.ts";
import type { LoadedSend, SendUpdate } from "../../domain/messaging/send-plan.ts";

const date = z.string().transform((value) => new Date(value));
const capSchema = z.object({ max: z.number().int().min(0), windowMs: z.number().int().positive() });

const loadedRowSchema = z.object({
  id: z.number().int(),
  messageCampaignId: z.number().int(),
  arm: z.number().int(),
  brandId: z.number().int(),
  contactId: z.number().int(),
  channel: z.enum(messageChannels),
  class: z.enum(messageClasses),
  status: z.string(),
  heldUntil: date.nullable(),
  provider: z.string().nullable(),
  providerMessageId: z.string().nullable(),
  attempts: z.number().int(),
  campaignStatus: z.string(),
  text: z.string().nullable(),
  subject: z.string().nullable(),
  variables: z.unknown(),
  template: z
    .object({
      code: z.string(),
      status: z.enum(templateStatuses),
      class: z.enum(messageClasses),
      text: z.string(),
    })
    .nullable(),
  settings: z
    .object({
      senderName: z.string(),
      senderContact: z.string(),
      optOutNumber: z.string(),
      senderNumber: z.string(),
      kakaoSenderKey: z.string().nullable(),
      frequencyCaps: z.unknown(),
      reconfirmText: z.string(),
    })
    .nullable(),
  timeZone: z.string().nullable(),
  phone: z.string().nullable(),
  firstName: z.string().nullable(),
  consents: z.array(
    z.object({
      channel: z.enum(["sms", "kakao", "email", "night_ads"]),
      status: z.enum(["granted", "withdrawn"]),
      at: date,
      reconfirmedAt: date.nullable(),
    }),
  ),
  optOuts: z.array(z.object({ at: date, via: z.enum(["080", "reply"]) })),
  recent: z.array(z.object({ channel: z.enum(messageChannels), class: z.enum(messageClasses), at: date })),
});

/** Caps as stored (`{ "sms": { "max": 2, "windowMs": … } }`); an entry that is not one is ignored. */
export function frequencyCapsOf(value: unknown): Partial<Record<MessageChannel, FrequencyCap>> {
  const caps: Partial<Record<MessageChannel, FrequencyCap>> = {};
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [channel, cap] of Object.entries(value)) {
      const parsed = capSchema.safeParse(cap);
      const known = messageChannels.find((name) => name === channel);
      if (parsed.success && known) caps[known] = parsed.data;
    }
  }
  return caps;
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) return out;
  for (const [key, item] of Object.entries(value)) if (typeof item === "string") out[key] = item;
  return out;
}

/** The load statement's rows as the planner takes them. */
export function parseLoaded(rows: unknown): LoadedSend[] {
  return loadedRowSchema
    .array()
    .parse(rows ?? [])
    .map((row) => ({
      id: row.id,
      messageCampaignId: row.messageCampaignId,
      arm: row.arm,
      brandId: row.brandId,
      contactId: row.contactId,
      channel: row.channel,
      class: row.class,
      status: row.status,
      heldUntil: row.heldUntil,
      provider: row.provider,
      providerMessageId: row.providerMessageId,
      attempts: row.attempts,
      campaignStatus: row.campaignStatus,
      message: { text: row.text, subject: row.subject, variables: stringRecord(row.variables) },
      template: row.template,
      settings: row.settings
        ? { ...row.settings, frequencyCaps: frequencyCapsOf(row.settings.frequencyCaps) }
        : null,
      timeZone: row.timeZone ?? "",
      phone: row.phone,
      firstName: row.firstName ?? "",
      consents: row.consents.map((consent) => ({ ...consent, brandId: row.brandId })),
      optOuts: row.optOuts.map((optOut) => ({ ...optOut, brandId: row.brandId })),
      recent: row.recent,
    }));
}

/**
 * One statement: the batch's sends with their arm's message and template, the brand's settings, the
 * account's market zone, name and phone, the contact's consents of the brand, the brand's opt-outs of that
 * phone or contact, and the contact's advertising sends of the brand within the longest of its caps
 * (accepted, pending or delivered, by `sent_at`). Lateral subqueries keyed by indexed columns.
 */
export function loadStatement(sendIds: readonly number[], now: Date): SQL {
  const phone = nationalPhoneSql(sql`pi.phone`);
  return sql`
    WITH requested AS (SELECT DISTINCT unnest(${pgArray(sendIds)}::bigint[]) AS id)
    SELECT coalesce(json_agg(json_build_object(
      'id', s.id, 'messageCampaignId', s.message_campaign_id, 'arm', s.arm, 'brandId', s.brand_id,
      'contactId', s.contact_id, 'channel', s.channel, 'class', s.class, 'status', s.status,
      'heldUntil', s.held_until, 'provider', s.provider, 'providerMessageId', s.provider_message_id,
      'attempts', s.attempts, 'campaignStatus', c.status,
      'text', a.text, 'subject', a.subject, 'variables', a.variables,
      'template', CASE WHEN t.id IS NULL THEN NULL ELSE json_build_object(
        'code', t.code, 'status', t.status, 'class', t.class, 'text', t.text) END,
      'settings', CASE WHEN bs.brand_id IS NULL THEN NULL ELSE json_build_object(
        'senderName', bs.sender_name, 'senderContact', bs.sender_contact, 'optOutNumber', bs.opt_out_number,
        'senderNumber', bs.sender_number, 'kakaoSenderKey', bs.kakao_sender_key,
        'frequencyCaps', bs.frequency_caps, 'reconfirmText', bs.reconfirm_text) END,
      'timeZone', m.time_zone, 'phone', pi.phone, 'firstName', pi.first_name,
      'consents', coalesce(consent.list, '[]'::json),
      'optOuts', coalesce(opt_out.list, '[]'::json),
      'recent', coalesce(recent.list, '[]'::json)
    ) ORDER BY s.id), '[]'::json) AS sends
    FROM requested r
    JOIN message_sends s ON s.id = r.id
    JOIN message_campaigns c ON c.id = s.message_campaign_id
    JOIN message_campaign_arms a ON a.message_campaign_id = s.message_campaign_id AND a.position = s.arm
    LEFT JOIN message_templates t ON t.id = a.template_id
    LEFT JOIN brand_messaging_settings bs ON bs.brand_id = s.brand_id
    JOIN brand_client_accounts ba ON ba.id = s.account_id
    JOIN markets m ON m.id = ba.market_id
    LEFT JOIN personal_info pi ON pi.id = ba.personal_info_id
    LEFT JOIN LATERAL (
      SELECT json_agg(json_build_object('channel', k.channel, 'status', k.status, 'at', k.at,
        'reconfirmedAt', k.reconfirmed_at)) AS list
      FROM consents k WHERE k.brand_id = s.brand_id AND k.contact_id = s.contact_id
    ) consent ON true
    LEFT JOIN LATERAL (
      SELECT json_agg(json_build_object('at', o.at, 'via', o.via)) AS list
      FROM message_opt_outs o
      WHERE o.brand_id = s.brand_id AND (o.contact_id = s.contact_id OR (pi.phone IS NOT NULL AND o.phone = ${phone}))
    ) opt_out ON true
    LEFT JOIN LATERAL (
      SELECT coalesce(max((e.value->>'windowMs')::bigint), 0) AS window_ms
      FROM jsonb_each(coalesce(bs.frequency_caps, '{}'::jsonb)) e
      WHERE jsonb_typeof(e.value) = 'object' AND jsonb_typeof(e.value->'windowMs') = 'number'
    ) cap ON true
    LEFT JOIN LATERAL (
      SELECT json_agg(json_build_object('channel', p.channel, 'class', p.class, 'at', p.sent_at)) AS list
      FROM message_sends p
      WHERE cap.window_ms > 0 AND p.brand_id = s.brand_id AND p.contact_id = s.contact_id
        AND p.sent_at > ${now.toISOString()}::timestamptz - cap.window_ms * interval '1 millisecond'
        AND p.sent_at <= ${now.toISOString()}::timestamptz
        AND p.class = 'advertising' AND p.status IN ('accepted', 'pending', 'delivered') AND p.id <> s.id
    ) recent ON true`;
}

/**
 * The claim before the provider call: attempts + 1 and `provider` set, only on sends still `queued` or
 * `held` and unclaimed. A claimed send without a provider message id is one whose answer may be lost; the
 * next look at it treats it as in doubt instead of sending it again.
 */
export function claimStatement(sendIds: readonly number[], provider: string): SQL {
  return sql`
    UPDATE message_sends SET attempts = attempts + 1, provider = ${provider}, updated_at = now()
    WHERE id = ANY(${pgArray(sendIds)}::bigint[]) AND status IN ('queued', 'held') AND provider IS NULL
    RETURNING id`;
}

const updateColumns =
  "id bigint, status text, rule text, detail text, held_until timestamptz, to_number text, text text, provider_message_id text, provider_code text, sent_at timestamptz, final_at timestamptz";

/**
 * One statement after the provider call: every status change (with its history row) and every release (a
 * claim given back after a 429/5xx answer: `provider` cleared, the attempt counted). Only sends still
 * `queued` or `held` change, so a delivery report that got there first is not overwritten.
 */
export function writeStatement(updates: readonly SendUpdate[], released: readonly number[], at: Date): SQL {
  const rows = updates.map((u) => ({
    id: u.id,
    status: u.status,
    rule: u.rule,
    detail: u.detail,
    held_until: u.heldUntil?.toISOString() ?? null,
    to_number: u.toNumber,
    text: u.text,
    provider_message_id: u.providerMessageId,
    provider_code: u.providerCode,
    sent_at: u.sentAt?.toISOString() ?? null,
    final_at: u.finalAt?.toISOString() ?? null,
  }));
  return sql`
    WITH input AS (SELECT * FROM ${recordset(rows, updateColumns)}),
    changed AS (
      UPDATE message_sends s SET status = i.status::message_send_status, rule = i.rule, detail = i.detail,
        held_until = i.held_until, to_number = coalesce(i.to_number, s.to_number), text = coalesce(i.text, s.text),
        provider_message_id = i.provider_message_id, provider_code = i.provider_code,
        sent_at = coalesce(i.sent_at, s.sent_at), final_at = i.final_at, updated_at = now()
      FROM input i
      WHERE s.id = i.id AND s.status IN ('queued', 'held')
      RETURNING s.id, s.status, s.rule, s.provider_code, s.detail
    ),
    history AS (
      INSERT INTO message_send_history (send_id, status, at, rule, provider_code, detail)
      SELECT id, status, ${at.toISOString()}::timestamptz, rule, provider_code, detail FROM changed
      RETURNING send_id
    ),
    released AS (
      UPDATE message_sends SET provider = NULL, updated_at = now()
      WHERE id = ANY(${pgArray(released)}::bigint[]) AND status IN ('queued', 'held') AND provider_message_id IS NULL
      RETURNING id
    )
    SELECT (SELECT count(*) FROM changed)::int AS changed, (SELECT count(*) FROM history)::int AS history,
      (SELECT count(*) FROM released)::int AS released`;
}
