import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { armOf, bucket } from "../../domain/experiments/assignment.ts";
import { messageLinkKvKey } from "../../domain/messaging/links.ts";
import { call, expectProblem, ids, ok, rand, recordingQueue } from "../support/api.ts";
import { adText, everyoneCohort, insertMessagingSettings, rows, seedAccounts } from "../support/campaigns.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";

/** The launch: the assignment materialised in SQL, sends for all but the holdout, history, KV link targets, queue messages. */

let tenant: SalesTenant;
let accounts: { id: number; contactId: number }[];
let cohort: string;

beforeAll(async () => {
  tenant = await createSalesTenant();
  await insertMessagingSettings(tenant.brand.internal);
  accounts = await seedAccounts(tenant, 1200);
  cohort = await everyoneCohort(tenant);
});

const arms = [
  {
    name: "control",
    role: "control",
    weight: 45,
    message: {
      channel: "lms",
      class: "advertising",
      text: adText,
      link_url: "https://shop.example/spring?ref=a",
    },
  },
  {
    name: "short",
    role: "variant",
    weight: 45,
    message: { channel: "sms", class: "informational", text: "주문 감사합니다" },
  },
  { name: "holdout", role: "holdout", weight: 10 },
];

async function draft(target: Record<string, string>, code = `launch-${rand()}`) {
  return ok("POST", "/api/v1/campaigns", {
    key: tenant.key,
    body: {
      brand: tenant.brand.id,
      name: "Launch",
      code,
      target,
      arms,
      experiment: { key: `exp-${rand()}`, baseline_rate: 0.1, target_rate: 0.15 },
    },
  });
}

interface MemberRow extends Record<string, unknown> {
  account_id: string | number;
  contact_id: string | number;
  bucket: number;
  arm: number;
  assigned_at: string;
}

describe("launch", () => {
  it("assigns every member its bucket and arm in SQL, queues a send for each but the holdout, and hands them on", async () => {
    const campaign = await draft({ cohort });
    const id = ids.decode("messageCampaign", campaign.id) ?? 0;
    const queue = recordingQueue();
    const before = Date.now();
    const response = await call("POST", `/api/v1/campaigns/${campaign.id}/launch`, {
      key: tenant.key,
      env: { SENDS_QUEUE: queue },
    });
    expect(response.status, response.text).toBe(200);
    const launched = response.body;
    expect(launched).toEqual({
      ...campaign,
      status: "running",
      member_count: 1200,
      launched_at: launched.launched_at,
      updated_at: launched.updated_at,
    });
    const launchedAt = Date.parse(launched.launched_at);
    expect(launchedAt).toBeGreaterThanOrEqual(before - 1000);

    // Members: exactly the cohort's accounts, each with the TypeScript bucket and the arm of its range.
    const ranges = campaign.arms.map(
      (arm: { name: string; role: string; buckets: { from: number; to: number } }) => ({
        arm: arm.name,
        role: arm.role,
        from: arm.buckets.from,
        to: arm.buckets.to,
      }),
    );
    const members = await rows<MemberRow>(sql`
      SELECT account_id, contact_id, bucket, arm, assigned_at FROM message_campaign_members
       WHERE message_campaign_id = ${id} ORDER BY account_id`);
    const expected = await Promise.all(
      accounts.map(async (account) => {
        const b = await bucket(campaign.experiment.key, account.id);
        return {
          account_id: account.id,
          contact_id: account.contactId,
          bucket: b,
          arm: ranges.findIndex((range: { arm: string }) => range.arm === armOf(b, ranges).arm),
          assigned_at: launchedAt,
        };
      }),
    );
    expect(
      members.map((m) => ({
        account_id: Number(m.account_id),
        contact_id: Number(m.contact_id),
        bucket: Number(m.bucket),
        arm: Number(m.arm),
        assigned_at: Date.parse(new Date(m.assigned_at).toISOString()),
      })),
    ).toEqual(expected);
    const perArm = [0, 1, 2].map((arm) => expected.filter((m) => m.arm === arm).length);
    expect(perArm.reduce((sum, n) => sum + n, 0)).toBe(1200);
    // Roughly 45/45/10 of 1,200 (the exact counts are the hash's; each within 5 standard deviations).
    expect(Math.abs((perArm[2] ?? 0) - 120)).toBeLessThan(55);

    // Sends: one per member not held out, queued at launch, with its arm's channel and class.
    const sends = await rows<{
      id: string | number;
      account_id: string | number;
      arm: number;
      channel: string;
      class: string;
      status: string;
      queued_at: string;
      contact_id: string | number;
      brand_id: string | number;
    }>(sql`
      SELECT id, account_id, contact_id, brand_id, arm, channel, class, status, queued_at FROM message_sends
       WHERE message_campaign_id = ${id} ORDER BY account_id`);
    const sent = expected.filter((m) => m.arm !== 2);
    expect(
      sends.map((s) => ({
        account_id: Number(s.account_id),
        contact_id: Number(s.contact_id),
        brand_id: Number(s.brand_id),
        arm: Number(s.arm),
        channel: s.channel,
        class: s.class,
        status: s.status,
        queued_at: Date.parse(new Date(s.queued_at).toISOString()),
      })),
    ).toEqual(
      sent.map((m) => ({
        account_id: m.account_id,
        contact_id: m.contact_id,
        brand_id: tenant.brand.internal,
        arm: m.arm,
        channel: m.arm === 0 ? "lms" : "sms",
        class: m.arm === 0 ? "advertising" : "informational",
        status: "queued",
        queued_at: launchedAt,
      })),
    );
    const sendIds = sends.map((s) => Number(s.id)).sort((x, y) => x - y);

    // History: one queued row per send, at its queued_at.
    const history = await rows<{ send_id: string | number; status: string; at: string }>(sql`
      SELECT h.send_id, h.status, h.at FROM message_send_history h JOIN message_sends s ON s.id = h.send_id
       WHERE s.message_campaign_id = ${id} ORDER BY h.send_id`);
    expect(
      history.map((h) => ({
        send_id: Number(h.send_id),
        status: h.status,
        at: Date.parse(new Date(h.at).toISOString()),
      })),
    ).toEqual(sendIds.map((sendId) => ({ send_id: sendId, status: "queued", at: launchedAt })));

    // The queue: the send ids ascending, 500 a message.
    expect(queue.sent).toEqual([
      { type: "sends", sendIds: sendIds.slice(0, 500) },
      { type: "sends", sendIds: sendIds.slice(500, 1000) },
      { type: "sends", sendIds: sendIds.slice(1000) },
    ]);

    // KV: the control's link with the utm parameters; the brand has no domain, so the global fallback.
    expect(JSON.parse((await env.EDGE_CONFIG.get(messageLinkKvKey(id))) ?? "null")).toEqual({
      arms: {
        "0": `https://shop.example/spring?ref=a&utm_source=leadrail&utm_medium=lms&utm_campaign=${campaign.code}&utm_content=control`,
      },
      fallback: "https://fallback.leadrail.test/",
    });

    // A running campaign is not launched again, nor are its weights changed.
    expectProblem(
      await call("POST", `/api/v1/campaigns/${campaign.id}/launch`, {
        key: tenant.key,
        env: { SENDS_QUEUE: queue },
      }),
      409,
      [{ field: "status", category: "conflict" }],
    );
    expectProblem(
      await call("PATCH", `/api/v1/campaigns/${campaign.id}`, {
        key: tenant.key,
        body: { arms: [arms[0], { ...arms[1], weight: 40 }, { ...arms[2], weight: 15 }] },
      }),
      409,
      [
        { field: "arms[1].weight", category: "conflict" },
        { field: "arms[2].weight", category: "conflict" },
      ],
    );
    expect(queue.sent).toHaveLength(3);
  });

  it("a snapshot's frozen members, not accounts added after it; a single arm keyed by the campaign's own id", async () => {
    const brand = await createSalesTenant();
    const first = await seedAccounts(brand, 5);
    const everyone = await everyoneCohort(brand);
    const snapshot = await ok("POST", `/api/v1/cohorts/${everyone}/snapshots`, { key: brand.key });
    await seedAccounts(brand, 2);
    const campaign = await ok("POST", "/api/v1/campaigns", {
      key: brand.key,
      body: {
        brand: brand.brand.id,
        name: "Notice",
        code: `n-${rand()}`,
        target: { snapshot: snapshot.id },
        arms: [
          {
            name: "only",
            role: "control",
            weight: 1,
            message: { channel: "sms", class: "informational", text: "안내" },
          },
        ],
      },
    });
    const id = ids.decode("messageCampaign", campaign.id) ?? 0;
    const queue = recordingQueue();
    const launched = await ok("POST", `/api/v1/campaigns/${campaign.id}/launch`, {
      key: brand.key,
      env: { SENDS_QUEUE: queue },
    });
    expect(launched.member_count).toBe(5);
    const members = await rows<{ account_id: string | number; bucket: number; arm: number }>(sql`
      SELECT account_id, bucket, arm FROM message_campaign_members WHERE message_campaign_id = ${id} ORDER BY account_id`);
    expect(
      members.map((m) => ({
        account_id: Number(m.account_id),
        bucket: Number(m.bucket),
        arm: Number(m.arm),
      })),
    ).toEqual(
      await Promise.all(
        first.map(async (account) => ({
          account_id: account.id,
          bucket: await bucket(`campaign-${id}`, account.id),
          arm: 0,
        })),
      ),
    );
    const sends = await rows<{ id: string | number }>(sql`
      SELECT id FROM message_sends WHERE message_campaign_id = ${id} ORDER BY id`);
    expect(queue.sent).toEqual([{ type: "sends", sendIds: sends.map((s) => Number(s.id)) }]);
    // No link URL on any arm: only the fallback.
    expect(JSON.parse((await env.EDGE_CONFIG.get(messageLinkKvKey(id))) ?? "null")).toEqual({
      arms: {},
      fallback: "https://fallback.leadrail.test/",
    });
  });

  it("a failed enqueue keeps the launch: 503 naming the dispatcher, sends still queued", async () => {
    const campaign = await draft({ cohort });
    const id = ids.decode("messageCampaign", campaign.id) ?? 0;
    const failing = {
      ...recordingQueue(),
      async sendBatch() {
        throw new Error("queue down");
      },
    };
    const response = await call("POST", `/api/v1/campaigns/${campaign.id}/launch`, {
      key: tenant.key,
      env: { SENDS_QUEUE: failing },
    });
    const problem = expectProblem(response, 503);
    expect(problem.detail).toBe(
      "The campaign launched (members assigned, sends queued) but its link targets or sends could not be handed on; the campaign dispatcher retries within about ten minutes.",
    );
    const [state] = await rows<{ status: string; queued: string | number }>(sql`
      SELECT mc.status, (SELECT count(*) FROM message_sends s WHERE s.message_campaign_id = mc.id AND s.status = 'queued') AS queued
        FROM message_campaigns mc WHERE mc.id = ${id}`);
    expect(state?.status).toBe("running");
    expect(Number(state?.queued)).toBeGreaterThan(900);
  });
});
