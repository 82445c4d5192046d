import { createHmac, randomUUID } from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashIds } from "../../domain/core/hash-ids.ts";
import { bucket } from "../../domain/experiments/assignment.ts";
import { devSecrets } from "../../scripts/lib/dev-secrets.ts";
import { api, e2e, showWranglerLogOnFailure, sleep, sql } from "./support.ts";

/*
 * One campaign end to end through `wrangler dev` and the message simulator: customers from orders, consents
 * from commerce events, a cohort, a three-arm campaign (control, variant, holdout) with its experiment,
 * the launch's assignment, the compliance gate and the sends queue, the simulator's delivery reports on the
 * Worker's webhook, tracked-link clicks on the edge (a person and a link preview), a landing visit carrying
 * the token, orders in the goal window, and the funnel and the experiment results, with exact numbers.
 */

const brand = e2e.brandRefs["acme-skincare"] ?? "";
const store = e2e.storeRefs["acme-skincare.myshopify.com"] ?? "";
const landing = e2e.landingRefs.acmeSampleDirect ?? "";
const codec = hashIds(e2e.alphabet);
const secrets = devSecrets(e2e.devSecretsDir, null).values;
const run = randomUUID().slice(0, 8);
/** Every customer's first order, at an instant no other e2e file uses: the cohort selects exactly them. */
const firstOrderAt = "2025-02-03T04:05:06.000Z";
const customers = 24;

interface Customer {
  index: number;
  email: string;
  phone: string;
  account: number;
  arm: number;
}

/** Customer 0's number ends 0000 (the simulator refuses it), customer 1's 9999 (accepted, then fails). */
const phoneOf = (index: number) =>
  index === 0
    ? "010-7000-0000"
    : index === 1
      ? "010-7000-9999"
      : `010-71${String(index).padStart(2, "0")}-5678`;

const advertisement =
  "(광고)아크미 {name}님, 세럼 20% 할인 {link}\n아크미 02-930-2266\n무료거부 080-123-4567";

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, ms = 60_000) {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached in ${ms} ms (last: ${JSON.stringify(value)})`);
    await sleep(250);
    value = await read();
  }
  return value;
}

async function order(
  customer: { email: string; phone: string; index: number },
  placedAt: string,
  tag: string,
) {
  return api<{ id: string }>("POST", "/api/v1/orders", {
    platform: "shopify",
    external_id: `e2e-${run}-${tag}-${customer.index}`,
    brand,
    market: "kr",
    currency: "KRW",
    placed_at: placedAt,
    customer: { email: customer.email, first_name: `고객${customer.index}`, phone: customer.phone },
    items: [{ sku: "SERUM-30", name: "Hydra serum 30 ml", quantity: 1, unit_price: 32_000 }],
    shipping: 3000,
  });
}

/** The commerce webhook, signed as a store would sign it. */
async function commerceEvents(events: unknown[]): Promise<number> {
  const body = JSON.stringify({ store, events });
  const signature = `sha256=${createHmac("sha256", secrets.COMMERCE_WEBHOOK_SECRET).update(body).digest("hex")}`;
  const response = await fetch(new URL("/webhooks/commerce", e2e.baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json", "x-leadrail-signature": signature },
    body,
  });
  await response.text();
  return response.status;
}

const count = async (text: string, values: unknown[]) =>
  Number((await sql<{ n: string }>(text, values))[0]?.n ?? 0);

describe("a campaign from cohort to funnel and experiment results, on the message simulator", () => {
  beforeEach(() => showWranglerLogOnFailure());

  const people: Customer[] = [];
  let key = "";

  beforeAll(async () => {
    // Customers: one order each, long before the campaign.
    for (let index = 0; index < customers; index += 1) {
      const email = `campaign.${run}.${index}@example.com`;
      const phone = phoneOf(index);
      await order({ email, phone, index }, firstOrderAt, "first");
      people.push({ index, email, phone, account: 0, arm: -1 });
    }
    const accounts = await sql<{ id: string; address: string }>(
      `SELECT a.id, e.address FROM brand_client_accounts a JOIN emails e ON e.id = a.email_id
        WHERE e.address LIKE $1`,
      [`campaign.${run}.%`],
    );
    for (const row of accounts) {
      const person = people.find((p) => p.email === row.address);
      if (person) person.account = Number(row.id);
    }
    // The assignment key: the first that puts at least 6 customers in each message arm and 3 in the holdout,
    // with customers 0 (refused number) and 1 (failing number) in the control and customer 2 in the variant.
    for (let attempt = 0; ; attempt += 1) {
      const candidate = `e2e-${run}-${attempt}`;
      const arms = await Promise.all(
        people.map(async (p) => {
          const b = await bucket(candidate, p.account);
          return b < 4000 ? 0 : b < 8000 ? 1 : 2;
        }),
      );
      const sizes = [0, 1, 2].map((arm) => arms.filter((a) => a === arm).length);
      if (
        (sizes[0] ?? 0) >= 6 &&
        (sizes[1] ?? 0) >= 6 &&
        (sizes[2] ?? 0) >= 3 &&
        arms[0] === 0 &&
        arms[1] === 0 &&
        arms[2] === 1
      ) {
        key = candidate;
        arms.forEach((arm, i) => {
          const person = people[i];
          if (person) person.arm = arm;
        });
        break;
      }
    }

    // Consent to SMS and to night-time advertising (the test may run at night in Seoul), for everyone but
    // customer 2, who is refused by the gate for it.
    const now = new Date().toISOString();
    const status = await commerceEvents(
      people
        .filter((p) => p.index !== 2)
        .map((p) => ({
          id: `e2e-${run}-consent-${p.index}`,
          type: "consent.changed",
          occurred_at: now,
          data: {
            email: p.email,
            consents: [
              { channel: "sms", status: "granted" },
              { channel: "night_ads", status: "granted" },
            ],
            source: "signup_form",
          },
        })),
    );
    expect(status).toBe(202);
    await until(
      "consents applied",
      () =>
        count(
          `SELECT count(*) AS n FROM consents c JOIN contacts ct ON ct.id = c.contact_id JOIN emails e ON e.id = ct.email_id
            WHERE e.address LIKE $1 AND c.status = 'granted'`,
          [`campaign.${run}.%`],
        ),
      (n) => n === 2 * (customers - 1),
    );
  }, 180_000);

  it("assigns, gates, sends, tracks and counts every stage exactly", async () => {
    await api("PUT", `/api/v1/brands/${brand}/messaging-settings`, {
      sender_name: "아크미",
      sender_contact: "02-930-2266",
      opt_out_number: "080-123-4567",
      sender_number: "02-930-2266",
      reconfirm_text: "[아크미] 광고 수신 동의 2년이 지나 다시 여쭙니다. 유지하시려면 회신해 주세요.",
    });
    const cohort = await api<{ id: string }>("POST", "/api/v1/cohorts", {
      brand,
      name: `Campaign e2e ${run}`,
      definition: {
        op: "and",
        rules: [
          {
            field: "first_order_at",
            op: "between",
            value: { from: firstOrderAt, to: "2025-02-03T04:05:07.000Z" },
          },
        ],
      },
    });
    const landingUrl = new URL(`/l/${landing}`, e2e.baseUrl).toString();
    const campaign = await api<{ id: string; experiment: { id: string } | null }>(
      "POST",
      "/api/v1/campaigns",
      {
        brand,
        name: "Serum 20%",
        code: `serum-${run}`,
        target: { cohort: cohort.id },
        goal_window_days: 7,
        arms: [
          {
            name: "control",
            role: "control",
            weight: 40,
            message: { channel: "lms", class: "advertising", text: advertisement, link_url: landingUrl },
          },
          {
            name: "urgent",
            role: "variant",
            weight: 40,
            message: {
              channel: "lms",
              class: "advertising",
              text: advertisement.replace("20% 할인", "20% 할인, 오늘까지"),
              link_url: landingUrl,
            },
          },
          { name: "holdout", role: "holdout", weight: 20 },
        ],
        experiment: { key, baseline_rate: 0.1, target_rate: 0.3 },
      },
    );
    const launched = await api<{ status: string; member_count: number }>(
      "POST",
      `/api/v1/campaigns/${campaign.id}/launch`,
    );
    expect(launched).toMatchObject({ status: "running", member_count: customers });

    // The assignment is the one the TypeScript bucket gives, member by member.
    const campaignId = codec.decode("messageCampaign", campaign.id) ?? 0;
    const members = await sql<{ account_id: string; arm: number }>(
      "SELECT account_id, arm FROM message_campaign_members WHERE message_campaign_id = $1 ORDER BY account_id",
      [campaignId],
    );
    expect(members.map((m) => [Number(m.account_id), m.arm])).toEqual(
      [...people].sort((a, b) => a.account - b.account).map((p) => [p.account, p.arm]),
    );
    const inArm = (arm: number) => people.filter((p) => p.arm === arm);
    const [control, variant, holdout] = [inArm(0), inArm(1), inArm(2)];

    // Every send reaches a final state: the simulator's reports come back through the Worker's webhook.
    const states = await until(
      "sends final",
      () =>
        sql<{ account_id: string; status: string; rule: string | null; text: string | null }>(
          "SELECT account_id, status, rule, text FROM message_sends WHERE message_campaign_id = $1",
          [campaignId],
        ),
      (rows) =>
        rows.length === control.length + variant.length &&
        rows.every((r) => ["delivered", "failed", "rejected", "refused"].includes(r.status)),
      90_000,
    );
    const stateOf = (p: Customer) => states.find((s) => Number(s.account_id) === p.account);
    const byIndex = (i: number) => people.find((p) => p.index === i) as Customer;
    expect(stateOf(byIndex(0))).toMatchObject({ status: "rejected", rule: "1060" });
    expect(stateOf(byIndex(1))).toMatchObject({ status: "failed" });
    expect(stateOf(byIndex(2))).toMatchObject({ status: "refused", rule: "consent.missing" });
    const delivered = states.filter((s) => s.status === "delivered");
    expect(delivered).toHaveLength(control.length + variant.length - 3);
    // The text went as written, `{name}` and `{link}` filled in.
    const firstDelivered = control.find((p) => stateOf(p)?.status === "delivered") as Customer;
    const text = stateOf(firstDelivered)?.text ?? "";
    expect(
      text.startsWith(`(광고)아크미 고객${firstDelivered.index}님, 세럼 20% 할인 http://127.0.0.1:`),
    ).toBe(true);
    expect(text.endsWith("\n아크미 02-930-2266\n무료거부 080-123-4567")).toBe(true);

    // Clicks: two control recipients and one variant recipient click; a link preview fetches another
    // control recipient's link (opened, not clicked). The first clicker goes on to the landing.
    const linkOf = (p: Customer) => /http:\/\/\S+\/m\/[0-9A-Za-z]+/.exec(stateOf(p)?.text ?? "")?.[0] ?? "";
    const deliveredIn = (arm: Customer[]) => arm.filter((p) => stateOf(p)?.status === "delivered");
    const [clickA, clickB, preview] = deliveredIn(control) as [Customer, Customer, Customer];
    const [clickC] = deliveredIn(variant) as [Customer];
    const browser =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
    const clicks: Record<number, string> = {};
    for (const [person, agent] of [
      [clickA, browser],
      [clickB, browser],
      [clickC, browser],
      [preview, "kakaotalk-scrap/1.0; +https://devtalk.kakao.com/public"],
    ] as const) {
      const response = await fetch(linkOf(person), { redirect: "manual", headers: { "user-agent": agent } });
      expect(response.status).toBe(302);
      clicks[person.index] = response.headers.get("location") ?? "";
    }
    const location = new URL(clicks[clickA.index] ?? "");
    expect(location.origin + location.pathname).toBe(landingUrl);
    expect(location.searchParams.get("utm_campaign")).toBe(`serum-${run}`);
    expect(location.searchParams.get("utm_content")).toBe("control");
    expect(location.searchParams.get("lr_m")).toBe(linkOf(clickA).split("/m/")[1]);
    // The visit: the landing captures the token (with the visitor's email, as a form would post it).
    const visit = await fetch(location, { redirect: "manual", headers: { "user-agent": browser } });
    expect([302, 303]).toContain(visit.status);
    await visit.text();

    // Orders inside the goal window: two control members (one of them clicked), one variant member, one
    // holdout member; and a cancelled one that does not count.
    const now = new Date().toISOString();
    await order(clickA, now, "won");
    await order(control.find((p) => p.index === 0) as Customer, now, "won");
    await order(variant[variant.length - 1] as Customer, now, "won");
    await order(holdout[0] as Customer, now, "won");

    await until(
      "clicks and the visit stored",
      async () => [
        await count("SELECT count(*) AS n FROM message_clicks WHERE message_campaign_id = $1", [campaignId]),
        await count(
          "SELECT count(*) AS n FROM capture_marketing WHERE extra->>'lr_m' IS NOT NULL AND extra->>'lr_m' = $1",
          [location.searchParams.get("lr_m")],
        ),
      ],
      ([stored, visits]) => stored === 4 && visits === 1,
    );

    const funnel = await api<{
      arms: {
        arm: string;
        targeted: number;
        sent: number;
        delivered: number;
        opened: number;
        clicked: number;
        visited: number;
        carted: number;
        purchased: number;
      }[];
    }>("GET", `/api/v1/campaigns/${campaign.id}/funnel`);
    const stages = (arm: string) => {
      const row = funnel.arms.find((a) => a.arm === arm);
      return row
        ? [
            row.targeted,
            row.sent,
            row.delivered,
            row.opened,
            row.clicked,
            row.visited,
            row.carted,
            row.purchased,
          ]
        : [];
    };
    // Control: every member targeted; sent = accepted by the provider (all but the refused number);
    // delivered all but the failing number; opened by two clicks and a preview, clicked by two, one visit;
    // purchases by customers 0 and clickA (a purchase is also a cart).
    expect(stages("control")).toEqual([
      control.length,
      control.length - 1,
      control.length - 2,
      3,
      2,
      1,
      2,
      2,
    ]);
    // Variant: customer 2 refused by the gate; one click; one purchase.
    expect(stages("urgent")).toEqual([variant.length, variant.length - 1, variant.length - 1, 1, 1, 0, 1, 1]);
    expect(stages("holdout")).toEqual([holdout.length, 0, 0, 0, 0, 0, 1, 1]);

    // The experiment's results count every member (intent to treat) and the purchases in the window.
    const results = await api<{
      evaluation: {
        arms: { arm: string; n: number; conversions: number }[];
        verdict: { kind: string; code: string };
      };
    }>("GET", `/api/v1/experiments/${campaign.experiment?.id}/results`);
    expect(results.evaluation.arms.map((a) => [a.arm, a.n, a.conversions])).toEqual([
      ["control", control.length, 2],
      ["urgent", variant.length, 1],
      ["holdout", holdout.length, 1],
    ]);
    expect(results.evaluation.verdict).toMatchObject({ kind: "not_yet", code: "sample_below_minimum" });
  }, 240_000);
});
