import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { handleScheduled } from "../../domain/batches/scheduled.ts";
import {
  campaignDispatchCron,
  dispatchCampaigns,
  requeueStatement,
} from "../../domain/campaigns/dispatch.ts";
import type { Env } from "../../domain/platform/env.ts";
import { call, ids, ok, rand, recordingQueue, withDb } from "../support/api.ts";
import { everyoneCohort, rows, seedAccounts } from "../support/campaigns.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";

/*
 * The per-minute dispatcher is global: it launches every due campaign of the database. The other files share
 * it, so every campaign here is due before 1970 (the API refuses such instants, and so nothing else has them):
 * each is scheduled through the API for tomorrow, then moved back directly.
 */

let tenant: SalesTenant;
let cohort: string;

beforeAll(async () => {
  tenant = await createSalesTenant();
  await seedAccounts(tenant, 20);
  cohort = await everyoneCohort(tenant);
});

const arms = [
  {
    name: "control",
    role: "control",
    weight: 1,
    message: {
      channel: "sms",
      class: "informational",
      text: "안내 {link}",
      link_url: "https://shop.example/",
    },
  },
  {
    name: "variant",
    role: "variant",
    weight: 1,
    message: { channel: "sms", class: "informational", text: "알림" },
  },
];

/** A campaign scheduled for `at` (before 1970): its internal id. */
async function scheduledFor(at: string, target = cohort): Promise<number> {
  const campaign = await ok("POST", "/api/v1/campaigns", {
    key: tenant.key,
    body: {
      brand: tenant.brand.id,
      name: "Scheduled",
      code: `s-${rand()}`,
      target: { cohort: target },
      arms,
      experiment: { baseline_rate: 0.1, target_rate: 0.2 },
    },
  });
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
  const scheduled = await ok("POST", `/api/v1/campaigns/${campaign.id}/launch`, {
    key: tenant.key,
    body: { scheduled_at: tomorrow },
  });
  expect(scheduled.status).toBe("scheduled");
  const id = ids.decode("messageCampaign", campaign.id) ?? 0;
  await withDb((db) =>
    db.execute(sql`UPDATE message_campaigns SET scheduled_at = ${at}::timestamptz WHERE id = ${id}`),
  );
  return id;
}

async function stateOf(id: number) {
  const [row] = await rows<{
    status: string;
    launched_at: string | null;
    completed_at: string | null;
    member_count: number | null;
  }>(sql`
    SELECT status, launched_at, completed_at, member_count FROM message_campaigns WHERE id = ${id}`);
  return {
    status: row?.status,
    launched_at: row?.launched_at ? new Date(row.launched_at).toISOString() : null,
    completed_at: row?.completed_at ? new Date(row.completed_at).toISOString() : null,
    member_count:
      row?.member_count === null || row?.member_count === undefined ? null : Number(row.member_count),
  };
}

const sendIdsOf = async (id: number): Promise<number[]> =>
  (
    await rows<{ id: string | number }>(
      sql`SELECT id FROM message_sends WHERE message_campaign_id = ${id} ORDER BY id`,
    )
  ).map((row) => Number(row.id));

const services = (queue: Queue) => ({
  kv: env.EDGE_CONFIG,
  queue,
  fallbackUrl: "https://fallback.leadrail.test/",
});

describe("the campaign dispatcher", () => {
  it("runs on the per-minute cron through the Worker's scheduled handler", async () => {
    const id = await scheduledFor("1969-11-01T00:00:00.000Z");
    const queue = recordingQueue();
    const results = await handleScheduled(
      { cron: campaignDispatchCron, scheduledTime: Date.parse("1969-11-01T00:00:30.000Z") },
      { ...env, SENDS_QUEUE: queue } as Env,
    );
    expect(results).toEqual([]);
    expect(await stateOf(id)).toEqual({
      status: "running",
      launched_at: "1969-11-01T00:00:30.000Z",
      completed_at: null,
      member_count: 20,
    });
    expect(queue.sent).toEqual([{ type: "sends", sendIds: await sendIdsOf(id) }]);
  });

  it("launches at the due minute only, completes after the goal window, re-enqueues sends queued over 10 minutes", async () => {
    const id = await scheduledFor("1969-12-31T23:59:00.000Z");
    // A due campaign whose cohort was deleted fails alone, named, and the others still launch.
    const doomedCohort = await everyoneCohort(tenant);
    const doomed = await scheduledFor("1969-12-31T23:58:30.000Z", doomedCohort);
    await ok("DELETE", `/api/v1/cohorts/${doomedCohort}`, { key: tenant.key });

    const early = recordingQueue();
    const before = await withDb((db) =>
      dispatchCampaigns(db, services(early), new Date("1969-12-31T23:58:00.000Z")),
    );
    expect(before.launched).not.toContain(id);
    expect((await stateOf(id)).status).toBe("scheduled");

    const queue = recordingQueue();
    const due = await withDb((db) =>
      dispatchCampaigns(db, services(queue), new Date("1969-12-31T23:59:00.000Z")),
    );
    expect(due.launched).toContain(id);
    expect(due.failed).toEqual([
      { id: doomed, error: "The campaign's cohort was deleted: change the target before launching." },
    ]);
    expect(await stateOf(id)).toEqual({
      status: "running",
      launched_at: "1969-12-31T23:59:00.000Z",
      completed_at: null,
      member_count: 20,
    });
    const sendIds = await sendIdsOf(id);
    expect(sendIds).toHaveLength(20);
    expect(queue.sent).toEqual([{ type: "sends", sendIds }]);
    expect(
      (
        await call("POST", `/api/v1/campaigns/${ids.encode("messageCampaign", doomed)}/cancel`, {
          key: tenant.key,
        })
      ).status,
    ).toBe(200);

    // Exactly 10 minutes queued is not stale; a second more is, once: the resend re-stamps queued_at.
    const at = async (iso: string) => {
      const q = recordingQueue();
      const result = await withDb((db) => dispatchCampaigns(db, services(q), new Date(iso)));
      return { result, sent: q.sent };
    };
    expect((await at("1970-01-01T00:09:00.000Z")).sent).toEqual([]);
    const stale = await at("1970-01-01T00:09:01.000Z");
    expect(stale.result.resent).toBe(20);
    expect(stale.result.resentCampaigns).toEqual([id]);
    expect(stale.sent).toEqual([{ type: "sends", sendIds }]);
    expect((await at("1970-01-01T00:10:00.000Z")).sent).toEqual([]);
    const [queuedAt] = await rows<{ queued_at: string; history: string | number }>(sql`
      SELECT min(queued_at) AS queued_at, (SELECT count(*) FROM message_send_history h JOIN message_sends s ON s.id = h.send_id
                                            WHERE s.message_campaign_id = ${id}) AS history
        FROM message_sends WHERE message_campaign_id = ${id}`);
    expect(new Date(queuedAt?.queued_at ?? 0).toISOString()).toBe("1970-01-01T00:09:01.000Z");
    expect(Number(queuedAt?.history)).toBe(20);

    // The goal window (7 days from launch) closes at its last instant, not before.
    const open = await at("1970-01-07T23:58:59.000Z");
    expect(open.result.completed).not.toContain(id);
    expect((await stateOf(id)).status).toBe("running");
    const closed = await at("1970-01-07T23:59:00.000Z");
    expect(closed.result.completed).toContain(id);
    expect(await stateOf(id)).toEqual({
      status: "completed",
      launched_at: "1969-12-31T23:59:00.000Z",
      completed_at: "1970-01-07T23:59:00.000Z",
      member_count: 20,
    });
    // A completed campaign's queued sends are not enqueued again.
    expect((await at("1970-01-08T00:30:00.000Z")).sent).toEqual([]);
  });

  it("resume hands on at once the sends left queued and the holds that ended while it was paused", async () => {
    const id = await scheduledFor("1969-10-01T00:00:00.000Z");
    await withDb((db) =>
      dispatchCampaigns(db, services(recordingQueue()), new Date("1969-10-01T00:00:00.000Z")),
    );
    const ref = ids.encode("messageCampaign", id);
    expect((await ok("POST", `/api/v1/campaigns/${ref}/pause`, { key: tenant.key })).status).toBe("paused");
    const sendIds = await sendIdsOf(id);
    const [endedHold = 0, laterHold = 0, sent = 0] = sendIds;
    await withDb((db) =>
      db.execute(sql`
        UPDATE message_sends SET
          status = CASE id WHEN ${sent} THEN 'accepted' ELSE 'held' END::message_send_status,
          held_until = CASE id WHEN ${endedHold} THEN '1969-10-01T08:00:00Z'::timestamptz
                               WHEN ${laterHold} THEN '2100-01-01T08:00:00Z'::timestamptz END
        WHERE id IN (${endedHold}, ${laterHold}, ${sent})`),
    );
    const queue = recordingQueue();
    const resumed = await ok("POST", `/api/v1/campaigns/${ref}/resume`, {
      key: tenant.key,
      env: { SENDS_QUEUE: queue },
    });
    expect(resumed.status).toBe("running");
    // Every queued send and the ended hold; not the hold still to come (its delayed message is on the way),
    // nor the send already accepted.
    const expected = sendIds.filter((sendId) => sendId !== laterHold && sendId !== sent);
    expect(queue.sent).toEqual([{ type: "sends", sendIds: expected }]);
    const [hold] = await rows<{ status: string; held_until: string }>(
      sql`SELECT status, held_until FROM message_sends WHERE id = ${endedHold}`,
    );
    expect(hold?.status).toBe("held");
    expect(Date.parse(hold?.held_until ?? "") > Date.parse("2000-01-01T00:00:00Z")).toBe(true);
    // Resuming a running campaign is a 409.
    expect((await call("POST", `/api/v1/campaigns/${ref}/resume`, { key: tenant.key })).status).toBe(409);
  });

  it("finds the waiting sends through the two partial indexes, never by reading every send", async () => {
    // The planner's choice on a small table is not the point: with sequential scans priced out, the plan
    // shows the statement can be answered by message_sends_queued_idx and message_sends_held_idx alone
    // (a condition that stopped matching an index's predicate would show a scan of another index).
    const plan = await withDb((db) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`SET LOCAL enable_seqscan = off`);
        const explained = await tx.execute<{ "QUERY PLAN": string }>(
          sql`EXPLAIN ${requeueStatement(new Date("1970-01-01T00:00:00.000Z"), {
            olderThan: new Date("1969-12-31T23:50:00.000Z"),
            limit: 50_000,
          })}`,
        );
        return explained.rows.map((row) => row["QUERY PLAN"]).join("\n");
      }),
    );
    const scans = [
      ...plan.matchAll(/(Index Scan|Index Only Scan|Bitmap Index Scan|Seq Scan)(?: using (\w+))? on (\w+)/g),
    ]
      .filter((match) => match[3] === "message_sends")
      .map((match) => `${match[1]} ${match[2] ?? ""}`.trim());
    // Each partial index once; the rows found are then locked and re-checked by primary key (the planner may
    // read the key once or twice, by the table's size); nothing else reads message_sends.
    expect([...new Set(scans)].sort()).toEqual([
      "Index Scan message_sends_held_idx",
      "Index Scan message_sends_pkey",
      "Index Scan message_sends_queued_idx",
    ]);
    expect(scans.filter((scan) => scan.endsWith("_queued_idx") || scan.endsWith("_held_idx")).sort()).toEqual(
      ["Index Scan message_sends_held_idx", "Index Scan message_sends_queued_idx"],
    );
  });
});
