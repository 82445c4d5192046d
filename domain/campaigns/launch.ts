import { type SQL, sql } from "drizzle-orm";
import type { Executor, Transaction } from "../../db/client.ts";
import { jsonRow, pgArray } from "../../db/sql.ts";
import { cohortMemberIds, toCohort } from "../cohorts/cohorts.ts";
import { Conflict, NotFound, Unavailable, ValidationFailed } from "../core/errors.ts";
import { withTransaction } from "../core/transaction.ts";
import type { VerbContext } from "../core/verb.ts";
import { type ArmRange, armSql, bucketSql } from "../experiments/assignment.ts";
import { type MessageLinkTargets, messageLinkKvKey } from "../messaging/links.ts";
import { putEntries } from "../platform/kv-write.ts";
import { type MessageCampaign, readCampaign, visibleCampaign } from "./campaigns.ts";
import { linkTarget } from "./design.ts";

/**
 * Launching a campaign (CONTRACT item 1): in ONE transaction the members are assigned by one INSERT … SELECT
 * computing each account's bucket and arm in SQL, every member not held out gets a queued send and its
 * history row, and the campaign is running; the statement also hands back the send ids in messages of 500.
 * After COMMIT the arms' link targets go to KV and the sends to the sends queue. Nothing here grows with the
 * number of members but the size of the rows the statement returns.
 */

/** What a launch needs besides Postgres. */
export interface LaunchServices {
  /** EDGE_CONFIG: the link targets the edge redirects tracked links to. */
  kv: KVNamespace;
  /** SENDS_QUEUE. */
  queue: Queue;
  /** GLOBAL_FALLBACK_URL: a link's target when the brand has no domain. */
  fallbackUrl: string;
}

/** Send ids per queue message, and messages per `sendBatch` (the Queues limit). */
export const sendIdsPerMessage = 500;
export const messagesPerBatch = 100;
/** A `sendBatch` is at most 256 KB: stay below it with room for the envelope. */
const batchBytes = 200_000;

export interface SendsMessage {
  type: "sends";
  sendIds: number[];
}

export interface LaunchResult {
  campaign: MessageCampaign;
  /** The send ids, ascending, in chunks of at most 500. */
  chunks: number[][];
}

/** The assignment key: the experiment's, or without one the campaign's own (`campaign-<id>`). */
export const assignmentKey = (campaign: Pick<MessageCampaign, "id" | "experiment">): string =>
  campaign.experiment?.key ?? `campaign-${campaign.id}`;

/** The target's account ids at `now`, as `SELECT … AS id`. */
async function targetIds(tx: Transaction, campaign: MessageCampaign, now: Date): Promise<SQL> {
  if (campaign.target.kind === "snapshot")
    return sql`SELECT account_id AS id FROM cohort_snapshot_members WHERE snapshot_id = ${campaign.target.id}`;
  const row = await jsonRow(
    tx,
    sql`SELECT to_jsonb(c) FROM cohorts c WHERE c.id = ${campaign.target.id} AND c.deleted_at IS NULL`,
  );
  if (!row)
    throw new Conflict("The campaign's cohort was deleted: change the target before launching.", [
      { field: "target.cohort", category: "conflict", message: "The cohort was deleted." },
    ]);
  return cohortMemberIds(toCohort(row), now);
}

/** SQL's `(row_number - 1) / 500` chunks of a relation of ids, as one JSON array of arrays. */
const chunked = (relation: string): SQL =>
  sql`COALESCE((SELECT jsonb_agg(c.ids ORDER BY c.chunk) FROM (
        SELECT chunk, jsonb_agg(id ORDER BY id) AS ids
          FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / ${sql.raw(String(sendIdsPerMessage))} AS chunk
                  FROM ${sql.raw(relation)}) numbered
         GROUP BY chunk) c), '[]'::jsonb)`;

/**
 * Launches a locked draft or scheduled campaign at `now`, in the caller's transaction: members, sends,
 * history and status in one statement. Returns the send ids to enqueue after COMMIT.
 */
export async function launchLocked(
  tx: Transaction,
  campaign: MessageCampaign,
  now: Date,
): Promise<number[][]> {
  const ranges: ArmRange[] = campaign.arms.map((arm) => ({
    arm: arm.name,
    role: arm.role,
    from: arm.bucketFrom,
    to: arm.bucketTo,
  }));
  const at = now.toISOString();
  const bucket = bucketSql(assignmentKey(campaign), sql`t.id`);
  const source = await targetIds(tx, campaign, now);
  const row = await jsonRow(
    tx,
    sql`WITH targeted AS (SELECT t.id, ${bucket} AS bucket FROM (${source}) t),
      members AS (
        INSERT INTO message_campaign_members (message_campaign_id, account_id, contact_id, bucket, arm, assigned_at)
        SELECT ${campaign.id}, t.id, bca.contact_id, t.bucket, ar.position, ${at}::timestamptz
          FROM targeted t
          JOIN brand_client_accounts bca ON bca.id = t.id
          JOIN message_campaign_arms ar ON ar.message_campaign_id = ${campaign.id}
           AND ar.name = ${armSql(ranges, sql`t.bucket`)}
        RETURNING account_id, contact_id, arm
      ),
      sends AS (
        INSERT INTO message_sends (message_campaign_id, arm, brand_id, account_id, contact_id, channel, class, status,
          queued_at)
        SELECT ${campaign.id}, m.arm, ${campaign.brandId}, m.account_id, m.contact_id, ar.channel, ar.class, 'queued',
               ${at}::timestamptz
          FROM members m
          JOIN message_campaign_arms ar ON ar.message_campaign_id = ${campaign.id} AND ar.position = m.arm
         WHERE ar.role <> 'holdout'
         ORDER BY m.account_id
        RETURNING id
      ),
      history AS (
        INSERT INTO message_send_history (send_id, status, at) SELECT id, 'queued', ${at}::timestamptz FROM sends
      ),
      launched AS (
        UPDATE message_campaigns
           SET status = 'running', launched_at = ${at}::timestamptz, member_count = (SELECT count(*) FROM members),
               updated_at = now()
         WHERE id = ${campaign.id}
      )
      SELECT jsonb_build_object('chunks', ${chunked("sends")})`,
  );
  return ((row?.chunks ?? []) as number[][]).map((ids) => ids.map(Number));
}

/** The link targets of campaigns, for KV: each message arm with a link URL, utm parameters added. */
export async function linkTargetWrites(
  db: Pick<Executor, "execute">,
  campaignIds: readonly number[],
  fallbackUrl: string,
): Promise<{ key: string; value: string }[]> {
  if (campaignIds.length === 0) return [];
  const result = await db.execute<{
    id: string | number;
    code: string;
    domain: string | null;
    arms: unknown;
  }>(sql`
    SELECT mc.id, c.code, b.domain,
           COALESCE((SELECT jsonb_agg(jsonb_build_object('position', a.position, 'name', a.name, 'channel', a.channel,
                     'link_url', a.link_url) ORDER BY a.position)
                       FROM message_campaign_arms a WHERE a.message_campaign_id = mc.id), '[]'::jsonb) AS arms
      FROM message_campaigns mc
      JOIN campaigns c ON c.id = mc.campaign_id
      JOIN brands b ON b.id = mc.brand_id
     WHERE mc.id = ANY(${pgArray([...campaignIds])}::bigint[])
     ORDER BY mc.id`);
  return result.rows.map((row) => {
    const arms: Record<string, string> = {};
    for (const arm of row.arms as {
      position: number;
      name: string;
      channel: string | null;
      link_url: string | null;
    }[])
      if (arm.channel !== null && arm.link_url !== null)
        arms[String(arm.position)] = linkTarget(arm.link_url, {
          channel: arm.channel,
          campaignCode: row.code,
          arm: arm.name,
        });
    const targets: MessageLinkTargets = {
      arms,
      fallback: row.domain ? `https://${row.domain}/` : fallbackUrl,
    };
    return { key: messageLinkKvKey(Number(row.id)), value: JSON.stringify(targets) };
  });
}

/** The queue messages of `chunks`, grouped into `sendBatch` calls of ≤ 100 messages and ≤ 200 KB. */
export function sendBatches(chunks: readonly number[][]): SendsMessage[][] {
  const batches: SendsMessage[][] = [];
  let current: SendsMessage[] = [];
  let bytes = 0;
  for (const sendIds of chunks) {
    if (sendIds.length === 0) continue;
    const message: SendsMessage = { type: "sends", sendIds };
    const size = JSON.stringify(message).length + 64;
    if (current.length >= messagesPerBatch || (current.length > 0 && bytes + size > batchBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Sends the chunks to the sends queue; a failure leaves the sends queued for the dispatcher to re-enqueue. */
export async function enqueueSends(queue: Queue, chunks: readonly number[][]): Promise<number> {
  let messages = 0;
  for (const batch of sendBatches(chunks)) {
    await queue.sendBatch(batch.map((body) => ({ body })));
    messages += batch.length;
  }
  return messages;
}

/**
 * After COMMIT: the link targets to KV first (a message must never link to nothing), then the sends to the
 * queue. Either failing leaves the sends queued; the dispatcher publishes and enqueues them again after ten
 * minutes. Throws {@link Unavailable} saying so.
 */
export async function publishLaunch(
  db: Pick<Executor, "execute">,
  services: LaunchServices,
  campaignIds: readonly number[],
  chunks: readonly number[][],
): Promise<void> {
  try {
    await putEntries(services.kv, await linkTargetWrites(db, campaignIds, services.fallbackUrl));
    await enqueueSends(services.queue, chunks);
  } catch (cause) {
    throw new Unavailable(
      "The campaign launched (members assigned, sends queued) but its link targets or sends could not be handed on; the campaign dispatcher retries within about ten minutes.",
      { cause },
    );
  }
}

/**
 * Launches a campaign now, or schedules it for `scheduledAt` (a draft or a scheduled one; later than now, else
 * 422). A running, paused or completed campaign is a 409, and so is a cancelled one.
 */
export async function launchCampaign({
  ctx,
  input,
  services,
}: {
  ctx: VerbContext;
  input: { id: number; scheduledAt?: Date | undefined; now?: Date };
  services: LaunchServices;
}): Promise<MessageCampaign> {
  const now = input.now ?? new Date();
  const scheduledAt = input.scheduledAt;
  if (scheduledAt !== undefined && scheduledAt.getTime() <= now.getTime())
    throw new ValidationFailed([
      {
        field: "scheduled_at",
        category: "out_of_range",
        message: "Must be later than now; omit it to launch now.",
      },
    ]);
  const launched = await withTransaction(ctx.db, async (tx) => {
    const current = await visibleCampaign({ ...ctx, db: tx }, input.id, true);
    if (current.status !== "draft" && current.status !== "scheduled")
      throw new Conflict(`A ${current.status} campaign cannot be launched again.`, [
        { field: "status", category: "conflict", message: `The campaign is ${current.status}.` },
      ]);
    if (scheduledAt !== undefined) {
      await tx.execute(sql`UPDATE message_campaigns SET status = 'scheduled', scheduled_at = ${scheduledAt.toISOString()}::timestamptz,
                             updated_at = now() WHERE id = ${current.id}`);
      return { id: current.id, chunks: null };
    }
    return { id: current.id, chunks: await launchLocked(tx, current, now) };
  });
  if (launched.chunks !== null) await publishLaunch(ctx.db, services, [launched.id], launched.chunks);
  const campaign = await readCampaign(ctx.db, launched.id);
  if (!campaign) throw new NotFound("message campaign");
  return campaign;
}
