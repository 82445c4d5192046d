import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { encodeLinkToken, type MessageLinkTargets, messageLinkKvKey } from "../../domain/messaging/links.ts";
import type { Env } from "../../domain/platform/env.ts";
import { messageClickSchema } from "../../queues/events/click-message.ts";
import worker from "../../workers/index.ts";
import { recordingQueue, withDb } from "../support/api.ts";
import { iphoneSafari, seoulCf } from "../support/fixtures.ts";
import { hoursAfter, type SeededCampaign, seedCampaign } from "../support/funnel.ts";
import { deliverEvents } from "../support/pb.ts";
import { freshId, globalFallback } from "./edge-harness.ts";

const alphabet = env.SQIDS_ALPHABET;
const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const kakaoPreview = "facebookexternalhit/1.1; kakaotalk-scrap/1.0; +https://devtalk.kakao.com/public/link";

interface Followed {
  response: Response;
  sent: unknown[];
}

/** `GET /m/<token>` through the Worker's real entry, with a recording events queue. */
async function follow(
  token: string,
  init: { userAgent?: string | null; cf?: Record<string, unknown>; env?: Partial<Env>; method?: string } = {},
): Promise<Followed> {
  const queue = recordingQueue();
  const headers: Record<string, string> = {};
  const userAgent = init.userAgent === undefined ? iphoneSafari : init.userAgent;
  if (userAgent !== null) headers["user-agent"] = userAgent;
  const request = new Request(
    `https://edge.leadrail.test/m/${token}?utm_source=spoofed&to=https://evil.test/`,
    {
      method: init.method ?? "GET",
      headers,
      cf: init.cf ?? seoulCf,
    } as RequestInit,
  ) as unknown as Request<unknown, IncomingRequestCfProperties>;
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, { ...env, ...init.env, EVENTS_QUEUE: queue }, ctx);
  await waitOnExecutionContext(ctx);
  return { response, sent: queue.sent };
}

const campaignId = freshId();
const targets: MessageLinkTargets = {
  arms: {
    "0": "https://shop.test/spring?utm_source=leadrail&utm_medium=sms&utm_campaign=SPRING&utm_content=control",
    "1": "https://shop.test/spring/b?utm_source=leadrail&utm_content=variant#offer",
  },
  fallback: "https://brand.test/",
};

beforeAll(async () => {
  await env.EDGE_CONFIG.put(messageLinkKvKey(campaignId), JSON.stringify(targets));
});

describe("GET /m/:token", () => {
  it("redirects at once to the arm's landing with lr_m and queues one click", async () => {
    const token = encodeLinkToken(alphabet, { sendId: 77, messageCampaignId: campaignId, arm: 1 });
    const before = Date.now();
    const { response, sent } = await follow(token);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(
      `https://shop.test/spring/b?utm_source=leadrail&utm_content=variant&lr_m=${token}#offer`,
    );
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(sent).toHaveLength(1);
    const message = messageClickSchema.parse(sent[0]);
    expect(message).toEqual({
      type: "message.click",
      id: expect.stringMatching(uuidV7),
      sendId: 77,
      messageCampaignId: campaignId,
      arm: 1,
      at: expect.any(String),
      userAgent: iphoneSafari,
      country: "KR",
      bot: false,
    });
    expect(Date.parse(message.at)).toBeGreaterThanOrEqual(before - 1);
  });

  it("sends a link preview to the same landing and marks its click a bot's", async () => {
    const token = encodeLinkToken(alphabet, { sendId: 78, messageCampaignId: campaignId, arm: 0 });
    const { response, sent } = await follow(token, { userAgent: kakaoPreview });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${targets.arms["0"]}&lr_m=${token}`);
    expect(sent).toMatchObject([{ sendId: 78, arm: 0, bot: true, userAgent: kakaoPreview }]);
    const verified = await follow(token, { cf: { ...seoulCf, botManagement: { verifiedBot: true } } });
    expect(verified.sent).toMatchObject([{ bot: true }]);
  });

  it("sends an arm without a landing to the campaign's fallback", async () => {
    const token = encodeLinkToken(alphabet, { sendId: 79, messageCampaignId: campaignId, arm: 2 });
    const { response, sent } = await follow(token);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`https://brand.test/?lr_m=${token}`);
    expect(sent).toMatchObject([{ sendId: 79, arm: 2 }]);
  });

  it("sends a bad token to the global fallback and queues nothing", async () => {
    const good = encodeLinkToken(alphabet, { sendId: 80, messageCampaignId: campaignId, arm: 0 });
    for (const token of ["nope", `${good}x`, encodeURIComponent("https://evil.test/")]) {
      const { response, sent } = await follow(token);
      expect(response.status, token).toBe(302);
      expect(response.headers.get("location")).toBe(globalFallback);
      expect(sent).toEqual([]);
    }
  });

  it("sends a campaign without published targets to the global fallback, still counting the click", async () => {
    const token = encodeLinkToken(alphabet, { sendId: 81, messageCampaignId: freshId(), arm: 0 });
    const { response, sent } = await follow(token);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(globalFallback);
    expect(sent).toMatchObject([{ sendId: 81 }]);
  });

  it("sends the visitor to the global fallback when KV is down", async () => {
    const token = encodeLinkToken(alphabet, { sendId: 82, messageCampaignId: campaignId, arm: 0 });
    const down = { get: () => Promise.reject(new Error("KV is down")) } as unknown as KVNamespace;
    const { response, sent } = await follow(token, { env: { EDGE_CONFIG: down } });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(globalFallback);
    expect(sent).toHaveLength(1);
  });

  it("redirects even when the queue refuses the click", async () => {
    const token = encodeLinkToken(alphabet, { sendId: 83, messageCampaignId: campaignId, arm: 0 });
    const failing = {
      send: () => Promise.reject(new Error("queue unavailable")),
    } as unknown as Queue;
    const ctx = createExecutionContext();
    const request: Request<unknown, IncomingRequestCfProperties> = new Request(
      `https://edge.leadrail.test/m/${token}`,
    );
    const response = await worker.fetch(request, { ...env, EVENTS_QUEUE: failing }, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${targets.arms["0"]}&lr_m=${token}`);
  });

  it("answers 405 to other methods", async () => {
    const token = encodeLinkToken(alphabet, { sendId: 84, messageCampaignId: campaignId, arm: 0 });
    const { response, sent } = await follow(token, { method: "POST" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
    expect(sent).toEqual([]);
  });
});

describe("the events consumer's message.click part", () => {
  let seeded: SeededCampaign;
  const launch = new Date("2026-11-01T00:00:00.000Z");

  beforeAll(async () => {
    seeded = await seedCampaign({
      launchedAt: launch,
      arms: [
        { name: "control", role: "control", weight: 1, from: 0, to: 5000 },
        { name: "variant", role: "variant", weight: 1, from: 5000, to: 10000 },
      ],
      customers: [
        { arm: 0, send: { status: "delivered", sentAt: hoursAfter(launch, 1) } },
        { arm: 1, send: { status: "delivered", sentAt: hoursAfter(launch, 1) } },
      ],
    });
  });

  const click = (sendId: number, arm: number, bot = false, messageCampaignId = seeded.campaignId) => ({
    type: "message.click",
    id: uuidv7(),
    sendId,
    messageCampaignId,
    arm,
    at: hoursAfter(launch, 2).toISOString(),
    userAgent: bot ? kakaoPreview : iphoneSafari,
    country: "KR",
    bot,
  });

  async function storedClicks() {
    const result = await withDb((db) =>
      db.execute<{
        id: string;
        send_id: string;
        arm: number;
        bot: boolean;
        user_agent: string;
        country: string;
      }>(sql`
        SELECT id, send_id, arm, bot, user_agent, country FROM message_clicks
         WHERE message_campaign_id = ${seeded.campaignId} ORDER BY id`),
    );
    return result.rows.map((row) => ({ ...row, send_id: Number(row.send_id), arm: Number(row.arm) }));
  }

  it("stores clicks of real sends once, and drops forged tokens by count", async () => {
    const [first, second] = seeded.sends;
    if (first == null || second == null) throw new Error("no sends");
    const human = click(first, 0);
    const preview = click(second, 1, true);
    const wrongArm = click(first, 1);
    const wrongCampaign = click(second, 1, false, seeded.campaignId + 1_000_000);
    const noSend = click(2 ** 40, 0);
    const { report, acked, retried } = await deliverEvents([
      human,
      preview,
      wrongArm,
      wrongCampaign,
      noSend,
      human,
    ]);
    expect({ acked, retried }).toEqual({ acked: 6, retried: 0 });
    expect(report.parts["message.click"]).toEqual({ received: 6, stored: 2, duplicates: 1, unknownSends: 3 });
    expect(report.poison).toBe(0);
    const expected = [
      { id: human.id, send_id: first, arm: 0, bot: false, user_agent: iphoneSafari, country: "KR" },
      { id: preview.id, send_id: second, arm: 1, bot: true, user_agent: kakaoPreview, country: "KR" },
    ].sort((a, b) => a.id.localeCompare(b.id));
    expect(await storedClicks()).toEqual(expected);

    // Redelivered: nothing new.
    const again = await deliverEvents([human, preview]);
    expect(again.report.parts["message.click"]).toEqual({
      received: 2,
      stored: 0,
      duplicates: 2,
      unknownSends: 0,
    });
    expect(await storedClicks()).toEqual(expected);
  });

  it("keeps a malformed click in failed_events", async () => {
    const { report, acked } = await deliverEvents([{ ...click(1, 0), sendId: "1" }]);
    expect({ poison: report.poison, acked }).toEqual({ poison: 1, acked: 1 });
  });
});
