import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { brands } from "./catalog.ts";
import { cohortSnapshots, cohorts } from "./cohorts.ts";
import { createdAt, id, ref, updatedAt } from "./common.ts";
import { contacts } from "./identity.ts";
import { brandClientAccounts, campaigns } from "./sales.ts";

const at = (name: string) => timestamp(name, { withTimezone: true });

/** The four channels of SPEC §13 (domain/messaging/channels.ts). */
export const messageChannel = pgEnum("message_channel", ["sms", "lms", "alimtalk", "brand_message"]);
/** Article 50's two classes: advertising needs consent and its marks; informational does not. */
export const messageClass = pgEnum("message_class", ["advertising", "informational"]);
/** Kakao's review state of a template (domain/messaging/compliance.ts `templateStatuses`). */
export const messageTemplateStatus = pgEnum("message_template_status", [
  "in_review",
  "approved",
  "rejected",
  "suspended",
]);

/**
 * A brand's sending identity and limits, what the compliance gate checks every advertisement against:
 * the sender's name and contact and the free opt-out (080) number the text must carry, the registered sender
 * number (발신번호) SMS and LMS go from, the Kakao channel's sender key, the frequency caps per channel
 * (`{ "sms": { "max": 2, "windowMs": 604800000 } }`), and the text of the two-yearly consent re-confirmation
 * notice. Without a row a brand cannot send.
 */
export const brandMessagingSettings = pgTable("brand_messaging_settings", {
  brandId: ref("brand_id")
    .primaryKey()
    .references(() => brands.id),
  senderName: text("sender_name").notNull(),
  senderContact: text("sender_contact").notNull(),
  optOutNumber: text("opt_out_number").notNull(),
  /** National digits, as `normalizeSenderNumber` gives them. */
  senderNumber: text("sender_number").notNull(),
  kakaoSenderKey: text("kakao_sender_key"),
  frequencyCaps: jsonb("frequency_caps").notNull().default(sql`'{}'::jsonb`),
  /** The re-confirmation notice (informational SMS/LMS) sent instead of an advertisement when consent is 2 years old. */
  reconfirmText: text("reconfirm_text").notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** A Kakao template (AlimTalk, or a templated brand message) as registered with the provider, with its review state. */
export const messageTemplates = pgTable(
  "message_templates",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    channel: messageChannel("channel").notNull(),
    /** The provider's template id (Solapi `templateId`). */
    code: text("code").notNull(),
    name: text("name").notNull(),
    class: messageClass("class").notNull(),
    status: messageTemplateStatus("status").notNull(),
    text: text("text").notNull(),
    /** The `#{name}` variables the template takes, in order. */
    variables: jsonb("variables").notNull().default(sql`'[]'::jsonb`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("message_templates_brand_code_key").on(t.brandId, t.code),
    check("message_templates_channel", sql`${t.channel} IN ('alimtalk', 'brand_message')`),
  ],
);

/** A refusal of advertising by 080 call or reply (Article 50(2)): brand-wide, effective at `at`. */
export const messageOptOuts = pgTable(
  "message_opt_outs",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    /** National digits of the number that opted out. */
    phone: text("phone").notNull(),
    /** The contact the number belonged to when it was recorded, where known. */
    contactId: ref("contact_id").references(() => contacts.id),
    via: text("via").notNull(),
    at: at("at").notNull(),
    /** The provider's or caller's id of the opt-out: a redelivered one changes nothing. */
    sourceId: text("source_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("message_opt_outs_brand_source_key").on(t.brandId, t.sourceId),
    index("message_opt_outs_brand_phone_idx").on(t.brandId, t.phone, t.at),
    index("message_opt_outs_brand_contact_idx").on(t.brandId, t.contactId),
    check("message_opt_outs_via", sql`${t.via} IN ('080', 'reply')`),
  ],
);

/**
 * A campaign's life: a `draft` may change anything; `scheduled` waits for `scheduled_at`; `running` has its
 * members assigned and its sends under way (assignment can no longer change); `paused` sends nothing more until
 * resumed; `completed` is over (its goal window closed or an operator ended it); `cancelled` never ran.
 */
export const messageCampaignStatus = pgEnum("message_campaign_status", [
  "draft",
  "scheduled",
  "running",
  "paused",
  "completed",
  "cancelled",
]);
export const messageCampaignTarget = pgEnum("message_campaign_target", ["cohort", "snapshot"]);
export const experimentArmRole = pgEnum("experiment_arm_role", ["control", "variant", "holdout"]);
export const experimentAnalysis = pgEnum("experiment_analysis", ["fixed", "sequential"]);

/**
 * A message campaign (SPEC §12–13): one brand's cohort (its members at launch) or snapshot (its frozen
 * members), a message per arm, a schedule and a goal (a purchase within `goal_window_days` of assignment).
 * Its `campaign_id` is the sales campaign whose code the tracked links carry as `utm_campaign`, so orders and
 * campaign ROI attribute to it like any other campaign.
 */
export const messageCampaigns = pgTable(
  "message_campaigns",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    campaignId: ref("campaign_id")
      .notNull()
      .references(() => campaigns.id),
    name: text("name").notNull(),
    status: messageCampaignStatus("status").notNull().default("draft"),
    target: messageCampaignTarget("target").notNull(),
    cohortId: ref("cohort_id").references(() => cohorts.id),
    snapshotId: ref("snapshot_id").references(() => cohortSnapshots.id),
    /** When to launch; null launches on the call to launch. */
    scheduledAt: at("scheduled_at"),
    goalWindowDays: integer("goal_window_days").notNull().default(7),
    /** When the members were assigned and the sends queued. */
    launchedAt: at("launched_at"),
    completedAt: at("completed_at"),
    memberCount: integer("member_count"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("message_campaigns_campaign_key").on(t.campaignId),
    index("message_campaigns_brand_idx").on(t.brandId, t.id),
    index("message_campaigns_due_idx").on(t.scheduledAt).where(sql`${t.status} = 'scheduled'`),
    check(
      "message_campaigns_target",
      sql`(${t.target} = 'cohort' AND ${t.cohortId} IS NOT NULL AND ${t.snapshotId} IS NULL) OR (${t.target} = 'snapshot' AND ${t.snapshotId} IS NOT NULL AND ${t.cohortId} IS NULL)`,
    ),
    check("message_campaigns_goal_window", sql`${t.goalWindowDays} BETWEEN 1 AND 90`),
  ],
);

/**
 * The experiment of a campaign that tests more than one message or holds some members out: the assignment
 * key (domain/experiments/assignment.ts hashes `"<key>:<account id>"`) and the design `evaluate()` reads.
 */
export const experiments = pgTable(
  "experiments",
  {
    id: id(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    messageCampaignId: ref("message_campaign_id")
      .notNull()
      .references(() => messageCampaigns.id),
    key: text("key").notNull(),
    alpha: doublePrecision("alpha").notNull().default(0.05),
    power: doublePrecision("power").notNull().default(0.8),
    baselineRate: doublePrecision("baseline_rate").notNull(),
    targetRate: doublePrecision("target_rate").notNull(),
    analysis: experimentAnalysis("analysis").notNull().default("fixed"),
    mixingVariance: doublePrecision("mixing_variance"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("experiments_campaign_key").on(t.messageCampaignId),
    uniqueIndex("experiments_brand_key_key").on(t.brandId, t.key),
    check("experiments_alpha", sql`${t.alpha} > 0 AND ${t.alpha} < 1`),
    check("experiments_power", sql`${t.power} > 0 AND ${t.power} < 1`),
    check(
      "experiments_rates",
      sql`${t.baselineRate} > 0 AND ${t.baselineRate} < 1 AND ${t.targetRate} > 0 AND ${t.targetRate} < 1 AND ${t.baselineRate} <> ${t.targetRate}`,
    ),
  ],
);

/**
 * An arm of a campaign, in declared order (`position` from 0): its weight and bucket range `[bucket_from,
 * bucket_to)` (domain/experiments/assignment.ts `armRanges`), and for a message arm the message: channel,
 * class, text (`{link}` becomes the tracked link, `{name}` the recipient's first name) or template with its
 * variables, and the landing the tracked link leads to. A holdout has no message. A campaign without an
 * experiment has one arm, the control, over every bucket.
 */
export const messageCampaignArms = pgTable(
  "message_campaign_arms",
  {
    messageCampaignId: ref("message_campaign_id")
      .notNull()
      .references(() => messageCampaigns.id, { onDelete: "cascade" }),
    position: smallint("position").notNull(),
    name: text("name").notNull(),
    role: experimentArmRole("role").notNull(),
    weight: integer("weight").notNull(),
    bucketFrom: integer("bucket_from").notNull(),
    bucketTo: integer("bucket_to").notNull(),
    channel: messageChannel("channel"),
    class: messageClass("class"),
    text: text("text"),
    subject: text("subject"),
    templateId: ref("template_id").references(() => messageTemplates.id),
    variables: jsonb("variables").notNull().default(sql`'{}'::jsonb`),
    linkUrl: text("link_url"),
  },
  (t) => [
    primaryKey({ columns: [t.messageCampaignId, t.position] }),
    uniqueIndex("message_campaign_arms_name_key").on(t.messageCampaignId, t.name),
    check("message_campaign_arms_weight", sql`${t.weight} > 0 AND ${t.weight} <= 10000`),
    check(
      "message_campaign_arms_buckets",
      sql`${t.bucketFrom} >= 0 AND ${t.bucketFrom} <= ${t.bucketTo} AND ${t.bucketTo} <= 10000`,
    ),
    check(
      "message_campaign_arms_message",
      sql`(${t.role} = 'holdout') = (${t.channel} IS NULL) AND (${t.channel} IS NULL) = (${t.class} IS NULL)`,
    ),
  ],
);

/**
 * The assignment, materialised once at launch by one INSERT … SELECT computing each member's bucket and arm in
 * SQL (`bucketSql`/`armSql`): who the campaign targeted, in which arm, from when (the goal window's start).
 */
export const messageCampaignMembers = pgTable(
  "message_campaign_members",
  {
    messageCampaignId: ref("message_campaign_id")
      .notNull()
      .references(() => messageCampaigns.id),
    accountId: bigint("account_id", { mode: "number" })
      .notNull()
      .references(() => brandClientAccounts.id),
    contactId: ref("contact_id")
      .notNull()
      .references(() => contacts.id),
    bucket: smallint("bucket").notNull(),
    arm: smallint("arm").notNull(),
    assignedAt: at("assigned_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.messageCampaignId, t.accountId] }),
    index("message_campaign_members_arm_idx").on(t.messageCampaignId, t.arm),
    check("message_campaign_members_bucket", sql`${t.bucket} >= 0 AND ${t.bucket} < 10000`),
  ],
);

/**
 * Where a send stands. `queued` waits for the sends consumer; `held` waits for `held_until` (the night rule);
 * `refused` was stopped by the compliance gate (`rule` names the rule); `reconfirm` sent the consent
 * re-confirmation notice instead; then the provider's neutral statuses (domain/messaging/provider.ts):
 * `accepted`, `rejected`, `pending`, `delivered`, `failed`.
 */
export const messageSendStatus = pgEnum("message_send_status", [
  "queued",
  "held",
  "refused",
  "reconfirm",
  "accepted",
  "rejected",
  "pending",
  "delivered",
  "failed",
]);

/** One message to one campaign member: one row per (campaign, account), whatever happens to it. */
export const messageSends = pgTable(
  "message_sends",
  {
    id: id(),
    messageCampaignId: ref("message_campaign_id")
      .notNull()
      .references(() => messageCampaigns.id),
    arm: smallint("arm").notNull(),
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    accountId: bigint("account_id", { mode: "number" })
      .notNull()
      .references(() => brandClientAccounts.id),
    contactId: ref("contact_id")
      .notNull()
      .references(() => contacts.id),
    channel: messageChannel("channel").notNull(),
    class: messageClass("class").notNull(),
    status: messageSendStatus("status").notNull().default("queued"),
    /** The gate's rule that refused or held it, or the provider's failure. */
    rule: text("rule"),
    detail: text("detail"),
    heldUntil: at("held_until"),
    /** National digits the message went to. */
    toNumber: text("to_number"),
    /** The text as sent, link and name filled in. */
    text: text("text"),
    provider: text("provider"),
    providerMessageId: text("provider_message_id"),
    providerCode: text("provider_code"),
    attempts: integer("attempts").notNull().default(0),
    queuedAt: at("queued_at").notNull(),
    sentAt: at("sent_at"),
    finalAt: at("final_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("message_sends_campaign_account_key").on(t.messageCampaignId, t.accountId),
    uniqueIndex("message_sends_provider_message_key")
      .on(t.provider, t.providerMessageId)
      .where(sql`${t.providerMessageId} IS NOT NULL`),
    // Frequency caps read a contact's recent advertising sends per channel.
    index("message_sends_contact_sent_idx").on(t.brandId, t.contactId, t.sentAt),
    // The dispatcher's per-minute look for sends waiting on nothing reads only these two (domain/campaigns/dispatch.ts).
    index("message_sends_queued_idx").on(t.queuedAt).where(sql`${t.status} = 'queued'`),
    index("message_sends_held_idx").on(t.heldUntil).where(sql`${t.status} = 'held'`),
  ],
);

/** Every status a send went through, with when, the rule or provider code, and what was said. */
export const messageSendHistory = pgTable(
  "message_send_history",
  {
    id: id(),
    sendId: bigint("send_id", { mode: "number" })
      .notNull()
      .references(() => messageSends.id),
    status: messageSendStatus("status").notNull(),
    at: at("at").notNull(),
    rule: text("rule"),
    providerCode: text("provider_code"),
    detail: text("detail"),
  },
  (t) => [index("message_send_history_send_idx").on(t.sendId, t.at)],
);

/**
 * A request for a send's tracked link (`/m/:token`), recorded by the edge through the events queue: `bot`
 * marks a link-preview fetch or crawler (it counts as opened, not clicked). `id` is the edge's UUIDv7, so a
 * redelivered message changes nothing.
 */
export const messageClicks = pgTable(
  "message_clicks",
  {
    id: uuid("id").primaryKey(),
    sendId: bigint("send_id", { mode: "number" })
      .notNull()
      .references(() => messageSends.id),
    messageCampaignId: ref("message_campaign_id")
      .notNull()
      .references(() => messageCampaigns.id),
    arm: smallint("arm").notNull(),
    at: at("at").notNull(),
    bot: boolean("bot").notNull(),
    userAgent: text("user_agent"),
    country: text("country"),
  },
  (t) => [index("message_clicks_campaign_send_idx").on(t.messageCampaignId, t.sendId)],
);

/** The eight funnel stages per campaign, arm and run date (SPEC §13), written by the nightly `message-funnel` job. */
export const messageFunnelDaily = pgTable(
  "message_funnel_daily",
  {
    messageCampaignId: ref("message_campaign_id")
      .notNull()
      .references(() => messageCampaigns.id),
    arm: smallint("arm").notNull(),
    asOf: date("as_of", { mode: "string" }).notNull(),
    targeted: integer("targeted").notNull(),
    sent: integer("sent").notNull(),
    delivered: integer("delivered").notNull(),
    opened: integer("opened").notNull(),
    clicked: integer("clicked").notNull(),
    visited: integer("visited").notNull(),
    carted: integer("carted").notNull(),
    purchased: integer("purchased").notNull(),
    computedAt: at("computed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.messageCampaignId, t.arm, t.asOf] })],
);

/**
 * An experiment's cumulative counts per arm as of a run date (the nightly `experiment-evaluation` job): the
 * looks the sequential test reads, oldest first.
 */
export const experimentDailyCounts = pgTable(
  "experiment_daily_counts",
  {
    experimentId: ref("experiment_id")
      .notNull()
      .references(() => experiments.id),
    asOf: date("as_of", { mode: "string" }).notNull(),
    arm: smallint("arm").notNull(),
    n: integer("n").notNull(),
    conversions: integer("conversions").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.experimentId, t.asOf, t.arm] }),
    check(
      "experiment_daily_counts_values",
      sql`${t.n} >= 0 AND ${t.conversions} >= 0 AND ${t.conversions} <= ${t.n}`,
    ),
  ],
);

/** The evaluation of an experiment as of a run date: `evaluate()`'s result as stored, and its verdict. */
export const experimentEvaluations = pgTable(
  "experiment_evaluations",
  {
    experimentId: ref("experiment_id")
      .notNull()
      .references(() => experiments.id),
    asOf: date("as_of", { mode: "string" }).notNull(),
    verdict: text("verdict").notNull(),
    result: jsonb("result").notNull(),
    computedAt: at("computed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.experimentId, t.asOf] })],
);
