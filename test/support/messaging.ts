import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { asc, inArray, sql } from "drizzle-orm";
import { brands } from "../../db/schema/catalog.ts";
import { cohorts } from "../../db/schema/cohorts.ts";
import { consents } from "../../db/schema/commerce.ts";
import { contacts, emails, personalInfo } from "../../db/schema/identity.ts";
import {
  brandMessagingSettings,
  messageCampaignArms,
  messageCampaigns,
  messageSendHistory,
  messageSends,
  messageTemplates,
} from "../../db/schema/messaging.ts";
import { brandClientAccounts, campaigns, markets } from "../../db/schema/sales.ts";
import type { Env } from "../../domain/platform/env.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { processSendsBatch, type SendsConsumerOptions } from "../../queues/sends/handler.ts";
import { call, insertApiKey, rand, withDb } from "./api.ts";
import { consumeEventsBatch } from "./events-batch.ts";
import { messageSimulatorUrl } from "./message-simulator.ts";

/**
 * Messaging rows inserted directly (the campaigns API is another branch's): a brand with its messaging
 * settings, a running message campaign over a cohort with its arms, recipients (account, contact, phone,
 * consents) and `queued` sends with their history row, as launch leaves them.
 */

export const senderName = "아크미";
export const senderContact = "02-930-2266";
export const optOutNumber = "080-123-4567";
/** A valid LMS advertisement: prefix, sender, contact and the opt-out line. */
export const adText = `(광고)${senderName} {name}님 여름 세일 {link} 문의 ${senderContact}\n무료수신거부 ${optOutNumber}`;
export const reconfirmText = `${senderName} 수신동의 확인 안내: 2년 전 광고 수신에 동의하셨습니다. 유지하시려면 회신 바랍니다.`;

/** The simulator's development credentials and URL, as `npm start` gives them to the Worker. */
export const simulatorEnv: Partial<Env> = {
  MESSAGING_PROVIDER_BASE_URL: messageSimulatorUrl,
  MESSAGING_PROVIDER_API_KEY: "simulator_local_key",
  MESSAGING_PROVIDER_API_SECRET: "simulator_local_development_only",
};

export interface MessagingTenant {
  brandId: number;
  cohortId: number;
  /** An API key limited to the brand. */
  key: string;
}

/** The sender key the tenants' settings carry unless told otherwise. */
export const kakaoSenderKey = "KA01PF_test";

export async function createMessagingTenant(
  options: {
    settings?: boolean;
    caps?: Record<string, { max: number; windowMs: number }>;
    /** The brand's Kakao sender key; null for a brand without a Kakao channel. */
    kakaoSenderKey?: string | null;
  } = {},
): Promise<MessagingTenant> {
  const suffix = rand();
  const tenant = await withDb(async (db) => {
    const [brand] = await db
      .insert(brands)
      .values({ name: `Brand ${suffix}`, slug: `msg-${suffix}`, domain: `${suffix}.example` })
      .returning({ id: brands.id });
    if (!brand) throw new Error("no brand");
    const [cohort] = await db
      .insert(cohorts)
      .values({ brandId: brand.id, name: "Everyone", definition: {}, resolvedDefinition: {} })
      .returning({ id: cohorts.id });
    if (!cohort) throw new Error("no cohort");
    if (options.settings !== false)
      await db.insert(brandMessagingSettings).values({
        brandId: brand.id,
        senderName,
        senderContact,
        optOutNumber,
        senderNumber: "0293022660",
        kakaoSenderKey: options.kakaoSenderKey === undefined ? kakaoSenderKey : options.kakaoSenderKey,
        frequencyCaps: options.caps ?? {},
        reconfirmText,
      });
    return { brandId: brand.id, cohortId: cohort.id };
  });
  const key = await insertApiKey({ brandIds: [tenant.brandId] });
  return { ...tenant, key: key.key };
}

export interface ArmSpec {
  channel: "sms" | "lms" | "alimtalk" | "brand_message";
  class: "advertising" | "informational";
  text?: string | null;
  subject?: string | null;
  templateId?: number | null;
  variables?: Record<string, string>;
}

/** A running message campaign of the tenant's brand with these arms (positions in order). */
export async function createCampaign(
  tenant: MessagingTenant,
  arms: ArmSpec[],
  status: "running" | "paused" = "running",
): Promise<number> {
  return withDb(async (db) => {
    const [sales] = await db
      .insert(campaigns)
      .values({ brandId: tenant.brandId, code: `summer-${rand()}`, name: "Summer" })
      .returning({ id: campaigns.id });
    if (!sales) throw new Error("no campaign");
    const [campaign] = await db
      .insert(messageCampaigns)
      .values({
        brandId: tenant.brandId,
        campaignId: sales.id,
        name: "Summer",
        status,
        target: "cohort",
        cohortId: tenant.cohortId,
        launchedAt: new Date("2026-05-01T00:00:00.000Z"),
      })
      .returning({ id: messageCampaigns.id });
    if (!campaign) throw new Error("no message campaign");
    await db.insert(messageCampaignArms).values(
      arms.map((arm, position) => ({
        messageCampaignId: campaign.id,
        position,
        name: `arm-${position}`,
        role: position === 0 ? ("control" as const) : ("variant" as const),
        weight: 1,
        bucketFrom: 0,
        bucketTo: 10000,
        channel: arm.channel,
        class: arm.class,
        text: arm.text ?? null,
        subject: arm.subject ?? null,
        templateId: arm.templateId ?? null,
        variables: arm.variables ?? {},
      })),
    );
    return campaign.id;
  });
}

export async function createTemplate(
  tenant: MessagingTenant,
  values: {
    status: "in_review" | "approved";
    class: "advertising" | "informational";
    text: string;
    variables?: string[];
  },
): Promise<number> {
  const [row] = await withDb((db) =>
    db
      .insert(messageTemplates)
      .values({
        brandId: tenant.brandId,
        channel: "alimtalk",
        code: `TPL_${rand()}`,
        name: "Order shipped",
        variables: ["name"],
        ...values,
      })
      .returning({ id: messageTemplates.id }),
  );
  if (!row) throw new Error("no template");
  return row.id;
}

export interface RecipientSpec {
  phone?: string | null;
  firstName?: string;
  timeZone?: string;
  consents?: {
    channel: "sms" | "kakao" | "night_ads";
    status?: "granted" | "withdrawn";
    at: string;
    reconfirmedAt?: string;
  }[];
}

export interface Recipient {
  accountId: number;
  contactId: number;
}

/** A random 010 number ending in `ending` (4 digits). */
export const mobile = (ending = String(1000 + Math.floor(Math.random() * 8000))): string =>
  `010-${String(Math.floor(1000 + Math.random() * 8999))}-${ending}`;

const hex = (length: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(length / 2)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );

export async function addRecipient(tenant: MessagingTenant, spec: RecipientSpec = {}): Promise<Recipient> {
  return withDb(async (db) => {
    const address = `m.${rand()}@example.com`;
    const [market] = await db
      .insert(markets)
      .values({
        code: `m-${rand().slice(0, 10)}`,
        name: "Market",
        country: "KR",
        currency: "KRW",
        timeZone: spec.timeZone ?? "Asia/Seoul",
      })
      .returning({ id: markets.id });
    const [email] = await db
      .insert(emails)
      .values({ address, domain: "example.com", sha256: hex(64), md5: hex(32) })
      .returning({ id: emails.id });
    if (!market || !email) throw new Error("no market or email");
    const [contact] = await db.insert(contacts).values({ emailId: email.id }).returning({ id: contacts.id });
    if (!contact) throw new Error("no contact");
    let personalInfoId: number | null = null;
    const phone = spec.phone === undefined ? mobile() : spec.phone;
    if (phone !== null) {
      const [info] = await db
        .insert(personalInfo)
        .values({ firstName: spec.firstName ?? "지민", lastName: "김", phone, sha256: hex(64), md5: hex(32) })
        .returning({ id: personalInfo.id });
      personalInfoId = info?.id ?? null;
    }
    const [account] = await db
      .insert(brandClientAccounts)
      .values({
        brandId: tenant.brandId,
        marketId: market.id,
        emailId: email.id,
        contactId: contact.id,
        personalInfoId,
        currency: "KRW",
      })
      .returning({ id: brandClientAccounts.id });
    if (!account) throw new Error("no account");
    if (spec.consents?.length)
      await db.insert(consents).values(
        spec.consents.map((c) => ({
          brandId: tenant.brandId,
          contactId: contact.id,
          channel: c.channel,
          status: c.status ?? "granted",
          at: new Date(c.at),
          source: "test",
          reconfirmedAt: c.reconfirmedAt ? new Date(c.reconfirmedAt) : null,
        })),
      );
    return { accountId: account.id, contactId: contact.id };
  });
}

/** `queued` sends of the campaign (one per recipient, in the arm given) and their history rows, as launch writes them. */
export async function queueSends(
  tenant: MessagingTenant,
  campaignId: number,
  recipients: { recipient: Recipient; arm?: number }[],
  queuedAt = new Date("2026-06-01T00:00:00.000Z"),
): Promise<number[]> {
  return withDb(async (db) => {
    const rows = await db.execute<{ id: number | string }>(sql`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(
          recipients.map(({ recipient, arm }, ord) => ({
            ord,
            account_id: recipient.accountId,
            contact_id: recipient.contactId,
            arm: arm ?? 0,
          })),
        )}::jsonb) AS r(ord int, account_id bigint, contact_id bigint, arm smallint)
      ),
      sends AS (
        INSERT INTO message_sends (message_campaign_id, arm, brand_id, account_id, contact_id, channel, class, status, queued_at)
        SELECT ${campaignId}, i.arm, ${tenant.brandId}, i.account_id, i.contact_id, a.channel, a.class, 'queued', ${queuedAt.toISOString()}::timestamptz
          FROM input i JOIN message_campaign_arms a ON a.message_campaign_id = ${campaignId} AND a.position = i.arm
         ORDER BY i.ord
        RETURNING id
      ),
      history AS (
        INSERT INTO message_send_history (send_id, status, at) SELECT id, 'queued', ${queuedAt.toISOString()}::timestamptz FROM sends
      )
      SELECT id FROM sends ORDER BY id`);
    return rows.rows.map((row) => Number(row.id));
  });
}

export type SendRow = typeof messageSends.$inferSelect;

export async function sendRows(ids: readonly number[]): Promise<SendRow[]> {
  return withDb((db) =>
    db
      .select()
      .from(messageSends)
      .where(inArray(messageSends.id, [...ids]))
      .orderBy(asc(messageSends.id)),
  );
}

export async function historyRows(ids: readonly number[]) {
  return withDb((db) =>
    db
      .select({
        sendId: messageSendHistory.sendId,
        status: messageSendHistory.status,
        rule: messageSendHistory.rule,
        providerCode: messageSendHistory.providerCode,
      })
      .from(messageSendHistory)
      .where(inArray(messageSendHistory.sendId, [...ids]))
      .orderBy(asc(messageSendHistory.sendId), asc(messageSendHistory.id)),
  );
}

/** A SENDS_QUEUE that records what the consumer puts back on it. */
export function sendsRecorder(fail = false) {
  const sent: { body: unknown; delaySeconds: number | undefined }[] = [];
  const queue = {
    async send() {
      throw new Error("the consumer sends with sendBatch");
    },
    async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
      if (fail) throw new Error("queue unavailable");
      for (const m of messages) sent.push({ body: m.body, delaySeconds: m.delaySeconds });
    },
  } as unknown as Queue;
  return { queue, sent };
}

let sequence = 0;

/** Runs one batch of the sends queue (one message per id list) through the real consumer. */
export async function consumeSends(
  messages: number[][],
  options: SendsConsumerOptions & { env?: Partial<Env>; attempts?: number } = {},
) {
  const recorder = sendsRecorder();
  const list = messages.map((sendIds) => {
    sequence += 1;
    return {
      id: `sends-${rand()}-${sequence}`,
      timestamp: new Date(),
      attempts: options.attempts ?? 1,
      body: { type: "sends", sendIds } as unknown,
    };
  });
  const batch = createMessageBatch(queueNames.sends, list);
  const ctx = createExecutionContext();
  const workerEnv = { ...env, ...simulatorEnv, SENDS_QUEUE: recorder.queue, ...(options.env ?? {}) } as Env;
  const report = await processSendsBatch(batch, workerEnv, options);
  const result = await getQueueResult(batch, ctx);
  return {
    report,
    acked: [...result.explicitAcks].sort(),
    retried: result.retryMessages.map((r) => r.msgId).sort(),
    ids: list.map((m) => m.id),
    requeued: recorder.sent,
  };
}

export interface SimulatedMessage {
  messageId: string;
  to: string;
  from: string;
  type: string;
  text: string | null;
  subject: string | null;
  kakaoOptions: Record<string, unknown> | null;
  statusCode: string;
  customFields: Record<string, string>;
}

/** What the simulator received for these customIds (our send hash ids). */
export async function simulatorMessages(customIds: readonly string[]): Promise<SimulatedMessage[]> {
  const answer = (await (await fetch(`${messageSimulatorUrl}/__sent`)).json()) as {
    messages: SimulatedMessage[];
  };
  const wanted = new Set(customIds);
  return answer.messages.filter((m) => wanted.has(m.customFields.leadrailId ?? ""));
}

/**
 * The report bodies the simulator posted for these provider message ids (it posts to the relay sink in the
 * workers tests: workerd cannot be called back), waiting until every id has one.
 */
export async function simulatorReceipts(messageIds: readonly string[]): Promise<string[]> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const answer = (await (await fetch(`${messageSimulatorUrl}/__receipts`)).json()) as {
      posts: { body: string }[];
    };
    const bodies = answer.posts
      .map((p) => p.body)
      .filter((body) => messageIds.some((id) => body.includes(id)));
    if (messageIds.every((id) => bodies.some((body) => body.includes(id)))) return bodies;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the simulator posted no reports for these messages");
}

/** A queue that keeps the bodies handed to it (the webhooks' EVENTS_QUEUE). */
export function bodyRecorder() {
  const bodies: unknown[] = [];
  const queue = {
    async send() {
      throw new Error("sendBatch only");
    },
    async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
      for (const m of messages) bodies.push(JSON.parse(JSON.stringify(m.body)));
    },
  } as unknown as Queue;
  return { queue, bodies };
}

export const receiptWebhookToken = "receipts_token_for_tests";

/** Posts the simulator's report bodies to the app's webhook and runs what it queued through the events consumer. */
export async function deliverReports(messageIds: readonly string[]) {
  const events = bodyRecorder();
  for (const body of await simulatorReceipts(messageIds)) {
    const response = await call("POST", `/webhooks/messaging/solapi?token=${receiptWebhookToken}`, {
      key: null,
      rawBody: body,
      env: { MESSAGING_WEBHOOK_TOKEN: receiptWebhookToken, EVENTS_QUEUE: events.queue } as Partial<Env>,
    });
    if (response.status !== 200)
      throw new Error(`the receipts webhook answered ${response.status}: ${response.text}`);
  }
  return consumeEventsBatch(events.bodies);
}
