import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DbHandle, openDb } from "../../db/client.ts";
import { captures } from "../../db/schema/capture.ts";
import { dbConfig, type Env } from "../../domain/platform/env.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { processCaptureBatch } from "../../queues/capture/handler.ts";
import { queueMessages, seedTenant } from "../support/capture-message.ts";
import { seededRandom } from "../support/random.ts";
import { call, codec, globalFallback, harness, rule, seedLanding } from "./edge-harness.ts";

/**
 * The capture rail under hostile input, end to end: seeded random requests to `/l/:landing` (any method,
 * query, content type, body, header and `request.cf` a client or a broken proxy could send) through the
 * real edge handler, then their queue messages through the real capture consumer. Every request is
 * redirected to a URL of the landing's rules or fallbacks, never to one from the request; every message
 * parses with the consumer's schema and is stored once, acknowledged, with one of the five outcomes; a
 * second delivery of the lot changes nothing.
 */

let handle: DbHandle;
beforeAll(() => {
  handle = openDb(dbConfig(env), 2);
});
afterAll(async () => {
  await handle.close();
});

const userAgents = [
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; SM-S918N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 KAKAOTALK 10.8.5",
  "Googlebot/2.1 (+http://www.google.com/bot.html)",
  "python-requests/2.32.3",
  "curl/8.5.0",
  "",
  "x".repeat(10_000),
  "Mozilla/5.0 \u0000 \uD800",
];

function requests(landingRef: string, count: number, seed: number): Request[] {
  const next = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const chance = (p: number) => next() < p;
  const junk = () =>
    pick([
      "",
      "a",
      "x".repeat(5_000),
      "%E0%A4%A",
      "%00",
      "\u0000",
      "😀",
      "가나다",
      "<script>alert(1)</script>",
      "' OR 1=1 --",
      "https://evil.test/",
      "//evil.test",
      "javascript:alert(1)",
      "1e309",
      "-1",
      String(Math.floor(next() * 1e9)),
    ]);
  const email = () =>
    pick([
      `fuzz.${Math.floor(next() * 1e9)}@leadrail-mail.net`,
      `  Fuzz.Lead+tag${Math.floor(next() * 1e6)}@GoogleMail.com `,
      "fuzz@mailinator.com",
      "not-an-email",
      "a@b",
      `${"x".repeat(300)}@example.com`,
      "",
      junk(),
    ]);
  const field = (): [string, string] =>
    pick<() => [string, string]>([
      () => ["email", email()],
      () => ["name", junk()],
      () => ["phone", pick(["01012345678", "+82 10-1234-5678", junk()])],
      () => ["utm_source", pick(["google", junk()])],
      () => ["clickid", junk()],
      () => ["txid", junk()],
      () => [pick(["b", "t", "p", "pr"]), pick([codec.encode("brand", 7), "zz", junk()])],
      () => [junk(), junk()],
    ])();
  const out: Request[] = [];
  for (let n = 0; n < count; n += 1) {
    // A quarter are plain leads from a phone: what most of the traffic is, and the path to `new`.
    if (chance(0.25)) {
      out.push(
        new Request(`https://edge.leadrail.test/l/${landingRef}?utm_source=google&clickid=c${n}`, {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            "user-agent": userAgents[n % 2] ?? "",
          },
          body: new URLSearchParams({ email: `lead.${n}.${seed}@leadrail-mail.net`, name: "Minji Kim" }),
          cf: { country: "KR", city: "Seoul", asn: 4766, botManagement: { score: 90 } },
        } as RequestInit),
      );
      continue;
    }
    const ref = chance(0.85)
      ? landingRef
      : pick([codec.encode("brand", 1), "zz", "x".repeat(300), "%F0%9F%98%80"]);
    const query = new URLSearchParams();
    for (let i = 0; i < pick([0, 1, 2, 4]); i += 1) query.append(...field());
    // Half the visitors are plausible leads: a usable address among whatever else comes.
    if (chance(0.5)) query.append("email", `fuzz.${Math.floor(next() * 1e9)}@leadrail-mail.net`);
    const method = pick(["GET", "POST", "POST", "POST"]);
    const headers = new Headers();
    if (chance(0.9)) headers.set("user-agent", pick(userAgents).replace(/[^\x20-\xff]/g, "?"));
    if (chance(0.3))
      headers.set("referer", pick(["https://ads.example/", junk().replace(/[^\x20-\x7e]/g, "")]));
    if (chance(0.2)) headers.set("x-forwarded-for", "203.0.113.9, 10.0.0.1");
    let body: BodyInit | undefined;
    if (method === "POST") {
      const kind = pick(["form", "form", "json", "json-bad", "multipart", "text", "bytes", "none", "huge"]);
      const fields = Array.from({ length: pick([0, 1, 3, 6]) }, field);
      if (kind === "form") {
        headers.set(
          "content-type",
          pick(["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=EUC-KR"]),
        );
        body = new URLSearchParams(fields).toString();
      } else if (kind === "json") {
        headers.set("content-type", "application/json");
        body = JSON.stringify(
          pick([
            Object.fromEntries(fields),
            fields,
            { email: { nested: [email()] }, deep: JSON.parse("[".repeat(50) + "]".repeat(50)) },
            42,
            null,
          ]),
        );
      } else if (kind === "json-bad") {
        headers.set("content-type", "application/json");
        body = pick(['{"email": ', "[1,2", "\u0000", "{}}"]);
      } else if (kind === "multipart") {
        const form = new FormData();
        for (const [key, value] of fields) form.append(key, value);
        if (chance(0.3)) form.append("file", new Blob([new Uint8Array([0, 255, 1])]), "a.bin");
        body = form;
      } else if (kind === "text") {
        headers.set("content-type", pick(["text/plain", "application/xml", "garbage/type; x=y"]));
        body = fields.map(([key, value]) => `${key}=${value}`).join("\n");
      } else if (kind === "bytes") {
        headers.set("content-type", "application/x-www-form-urlencoded");
        body = Uint8Array.from({ length: 256 }, () => Math.floor(next() * 256));
      } else if (kind === "huge") {
        headers.set("content-type", "application/x-www-form-urlencoded");
        body = `email=${encodeURIComponent(email())}&blob=${"y".repeat(200_000)}`;
      }
    }
    const cf = chance(0.8)
      ? {
          country: pick(["KR", "US", "XX", "T1", "", 42]),
          city: pick(["Seoul", "서울", "", "\u0000"]),
          latitude: pick(["37.56", "not-a-number", 91, null]),
          longitude: pick(["126.97", "", -200]),
          asn: pick([4766, 16509, -1, 2 ** 40, "AS4766"]),
          colo: pick(["ICN", ""]),
          timezone: pick(["Asia/Seoul", "Mars/Olympus"]),
          botManagement: pick([{ score: 99 }, { score: 1 }, { score: "high" }, null]),
        }
      : undefined;
    const url = `https://edge.leadrail.test/l/${ref}${[...query].length > 0 ? `?${query}` : ""}`;
    out.push(new Request(url, { method, headers, body, ...(cf ? { cf } : {}) } as RequestInit));
  }
  return out;
}

describe("the capture rail under hostile input", () => {
  it("redirects every request to a known target, and stores every capture once with an outcome", async () => {
    const tenant = await seedTenant(handle.db);
    // The landing's document as the API publishes it, under its database id.
    await seedLanding({
      id: tenant.landingId,
      brandId: tenant.brandId,
      themeId: tenant.themeId,
      partnerId: tenant.partnerId,
      productId: tenant.productId,
      fallbackUrl: tenant.fallbackUrl,
    });
    const levels = ["unknown", "known", "known_active", "known_active_same_brand"] as const;
    const h = await harness({
      rules: levels.map((knowledge) =>
        rule({
          brandId: tenant.brandId,
          knowledge,
          targetUrl: `https://offers.leadrail.test/${knowledge}?e={email_hash}&c={click_id}&s={utm_source}`,
        }),
      ),
    });

    const messages: unknown[] = [];
    const refusals: string[] = [];
    for (const request of requests(tenant.landingRef, 160, 20261122)) {
      const described = `${request.method} ${request.url.slice(0, 200)}`;
      let edge: Awaited<ReturnType<typeof call>>;
      try {
        edge = await call(h, request);
      } catch (error) {
        refusals.push(`${described}: ${String(error).slice(0, 300)}`);
        continue;
      }
      const location = edge.response.headers.get("location") ?? "";
      const expected = request.method === "POST" ? 303 : 302;
      const known =
        location.startsWith("https://offers.leadrail.test/") ||
        location === tenant.fallbackUrl ||
        location === globalFallback;
      if (edge.response.status !== expected || !known)
        refusals.push(`${described}: ${edge.response.status} → ${location.slice(0, 200)}`);
      messages.push(edge.raw);
    }
    expect(refusals).toEqual([]);

    const consume = async () => {
      const batch = createMessageBatch(queueNames.captures, queueMessages(messages));
      const ctx = createExecutionContext();
      const report = await processCaptureBatch(batch, { ...env, RELAYS_QUEUE: relaysSink } as Env);
      const result = await getQueueResult(batch, ctx);
      return { report, acked: result.explicitAcks.length, retried: result.retryMessages.length };
    };
    const first = await consume();
    expect({ acked: first.acked, retried: first.retried, fallback: first.report.fallback }).toEqual({
      acked: messages.length,
      retried: 0,
      fallback: false,
    });
    const ids = messages.map((message) => (message as { captureId: string }).captureId);
    const stored = await handle.db
      .select({ id: captures.id, outcome: captures.outcome })
      .from(captures)
      .where(inArray(captures.id, ids));
    expect(stored.length).toBe(messages.length);
    const outcomes = new Set(stored.map((row) => row.outcome));
    for (const outcome of outcomes)
      expect(["new", "duplicate", "restored", "invalid", "bot"]).toContain(outcome);
    // The mix reaches every path the edge can take a visitor through: a valid lead, bad input and a bot.
    expect([...outcomes].sort()).toEqual(expect.arrayContaining(["bot", "invalid", "new"]));

    const again = await consume();
    expect({ acked: again.acked, retried: again.retried }).toEqual({ acked: messages.length, retried: 0 });
    const after = await handle.db
      .select({ id: captures.id, outcome: captures.outcome })
      .from(captures)
      .where(inArray(captures.id, ids));
    expect(after.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      stored.sort((a, b) => a.id.localeCompare(b.id)),
    );
  }, 120_000);
});

const relaysSink = {
  async send() {},
  async sendBatch() {},
} as unknown as Queue;
