import { beforeAll, describe, expect, it } from "vitest";
import { eucKrByteLength } from "../../domain/messaging/euc-kr.ts";
import { adminKey, call, expectProblem, ids, ok, rand, recordingQueue } from "../support/api.ts";
import {
  adText,
  everyoneCohort,
  insertMessagingSettings,
  insertTemplate,
  seedAccounts,
} from "../support/campaigns.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";

/** Message campaigns through the API: create, list, get, change, the life-cycle actions, and every refusal by field. */

let a: SalesTenant;
let b: SalesTenant;
let cohortOfA: string;
let cohortOfB: string;
let template: string;

beforeAll(async () => {
  a = await createSalesTenant();
  b = await createSalesTenant();
  await insertMessagingSettings(a.brand.internal);
  await seedAccounts(a, 3);
  cohortOfA = await everyoneCohort(a);
  cohortOfB = await everyoneCohort(b);
  template = await insertTemplate(a.brand.internal, {
    channel: "alimtalk",
    status: "approved",
    class: "informational",
    text: "#{name}님, 주문이 발송되었습니다.",
    variables: ["name"],
  });
});

const control = {
  name: "control",
  role: "control",
  weight: 45,
  message: {
    channel: "lms",
    class: "advertising",
    text: adText,
    link_url: "https://shop.example/spring?x=1",
  },
};
const variant = {
  name: "short",
  role: "variant",
  weight: 45,
  message: { channel: "sms", class: "informational", text: "주문 감사합니다 {link}" },
};
const holdout = { name: "holdout", role: "holdout", weight: 10 };
const experiment = { baseline_rate: 0.05, target_rate: 0.07 };

const body = (overrides: Record<string, unknown> = {}) => ({
  brand: a.brand.id,
  name: "Spring sale",
  code: `spring-${rand()}`,
  target: { cohort: cohortOfA },
  arms: [control, variant, holdout],
  experiment,
  ...overrides,
});

const create = (payload: unknown, key = a.key) => call("POST", "/api/v1/campaigns", { key, body: payload });

async function created(overrides: Record<string, unknown> = {}) {
  const response = await create(body(overrides));
  expect(response.status, response.text).toBe(201);
  return response.body;
}

describe("create, get, list", () => {
  it("creates a draft with its arms' bucket ranges and its experiment, and shows it the same everywhere", async () => {
    const payload = body();
    const response = await create(payload);
    expect(response.status, response.text).toBe(201);
    const campaign = response.body;
    const id = ids.decode("messageCampaign", campaign.id);
    expect(id).toBeGreaterThan(0);
    expect(response.headers.get("location")).toBe(`/api/v1/campaigns/${campaign.id}`);
    expect(ids.decode("experiment", campaign.experiment.id)).toBeGreaterThan(0);
    expect(campaign).toEqual({
      id: campaign.id,
      brand: a.brand.id,
      name: "Spring sale",
      code: payload.code,
      status: "draft",
      target: { cohort: cohortOfA },
      goal_window_days: 7,
      scheduled_at: null,
      launched_at: null,
      completed_at: null,
      member_count: null,
      arms: [
        {
          position: 0,
          name: "control",
          role: "control",
          weight: 45,
          buckets: { from: 0, to: 4500 },
          message: {
            channel: "lms",
            class: "advertising",
            text: adText,
            subject: null,
            template: null,
            variables: {},
            link_url: "https://shop.example/spring?x=1",
          },
        },
        {
          position: 1,
          name: "short",
          role: "variant",
          weight: 45,
          buckets: { from: 4500, to: 9000 },
          message: {
            channel: "sms",
            class: "informational",
            text: "주문 감사합니다 {link}",
            subject: null,
            template: null,
            variables: {},
            link_url: null,
          },
        },
        {
          position: 2,
          name: "holdout",
          role: "holdout",
          weight: 10,
          buckets: { from: 9000, to: 10000 },
          message: null,
        },
      ],
      experiment: {
        id: campaign.experiment.id,
        key: `campaign-${campaign.id}`,
        alpha: 0.05,
        power: 0.8,
        baseline_rate: 0.05,
        target_rate: 0.07,
        analysis: "fixed",
        mixing_variance: null,
      },
      created_at: campaign.created_at,
      updated_at: campaign.created_at,
    });
    expect(await ok("GET", `/api/v1/campaigns/${campaign.id}`, { key: a.key })).toEqual(campaign);
    const listed = await ok("GET", `/api/v1/campaigns?brand=${a.brand.id}&limit=200`, { key: a.key });
    expect(listed.data.filter((item: { id: string }) => item.id === campaign.id)).toEqual([campaign]);
    // Another brand's key neither sees nor reads it.
    expectProblem(await call("GET", `/api/v1/campaigns/${campaign.id}`, { key: b.key }), 403);
    const ofB = await ok("GET", "/api/v1/campaigns?limit=200", { key: b.key });
    expect(ofB.data.every((item: { brand: string }) => item.brand === b.brand.id)).toBe(true);
  });

  it("a single arm is a campaign without experiment over every bucket; a template arm; a snapshot target", async () => {
    const snapshot = await ok("POST", `/api/v1/cohorts/${cohortOfA}/snapshots`, { key: a.key });
    const campaign = await created({
      target: { snapshot: snapshot.id },
      goal_window_days: 14,
      arms: [
        {
          name: "notice",
          role: "control",
          weight: 1,
          message: { channel: "alimtalk", class: "informational", template, variables: { name: "고객" } },
        },
      ],
      experiment: undefined,
    });
    expect(campaign.target).toEqual({ snapshot: snapshot.id });
    expect(campaign.goal_window_days).toBe(14);
    expect(campaign.experiment).toBeNull();
    expect(campaign.arms).toEqual([
      {
        position: 0,
        name: "notice",
        role: "control",
        weight: 1,
        buckets: { from: 0, to: 10000 },
        message: {
          channel: "alimtalk",
          class: "informational",
          text: null,
          subject: null,
          template,
          variables: { name: "고객" },
          link_url: null,
        },
      },
    ]);
  });

  it("lists a brand's campaigns oldest first with a cursor", async () => {
    const brand = await createSalesTenant();
    const cohort = await everyoneCohort(brand);
    const made = [];
    for (const name of ["One", "Two", "Three"]) {
      const response = await create(
        {
          brand: brand.brand.id,
          name,
          code: `c-${rand()}`,
          target: { cohort },
          arms: [{ ...variant, role: "control" }],
        },
        brand.key,
      );
      expect(response.status, response.text).toBe(201);
      made.push(response.body);
    }
    expect(await ok("GET", "/api/v1/campaigns?limit=2", { key: brand.key })).toEqual({
      data: [made[0], made[1]],
      next_cursor: made[1].id,
    });
    expect(await ok("GET", `/api/v1/campaigns?limit=2&cursor=${made[1].id}`, { key: brand.key })).toEqual({
      data: [made[2]],
      next_cursor: null,
    });
    expect(await ok("GET", "/api/v1/campaigns?status=running", { key: brand.key })).toEqual({
      data: [],
      next_cursor: null,
    });
  });
});

describe("refusals name the field", () => {
  it("arms: one control, one holdout at most, a variant with more than one arm, messages where due", async () => {
    expectProblem(await create(body({ arms: [variant, { ...variant, name: "other" }] })), 422, [
      { field: "arms", category: "not_allowed" },
    ]);
    expectProblem(await create(body({ arms: [control, holdout, { ...holdout, name: "h2" }] })), 422, [
      { field: "arms", category: "not_allowed" },
      { field: "arms", category: "not_allowed" },
    ]);
    expectProblem(
      await create(
        body({
          arms: [{ ...control, message: undefined }, variant, { ...holdout, message: variant.message }],
        }),
      ),
      422,
      [
        { field: "arms[0].message", category: "missing" },
        { field: "arms[2].message", category: "not_allowed" },
      ],
    );
    expectProblem(await create(body({ arms: [control, { ...variant, name: "control" }] })), 422, [
      { field: "arms[1].name", category: "not_allowed" },
    ]);
    expectProblem(await create(body({ arms: [control, variant], experiment: undefined })), 422, [
      { field: "experiment", category: "missing" },
    ]);
    expectProblem(await create(body({ arms: [control] })), 422, [
      { field: "experiment", category: "not_allowed" },
    ]);
    expectProblem(
      await create(
        body({ arms: [control, { ...variant, weight: 0 }], experiment: { ...experiment, alpha: 1 } }),
      ),
      422,
      [
        { field: "arms[1].weight", category: "out_of_range" },
        { field: "experiment.alpha", category: "out_of_range" },
      ],
    );
    expectProblem(await create(body({ goal_window_days: 91 })), 422, [
      { field: "goal_window_days", category: "out_of_range" },
    ]);
    expectProblem(
      await create(
        body({ arms: [control, { ...variant, message: { ...variant.message, channel: "fax" } }] }),
      ),
      422,
      [{ field: "arms[1].message.channel", category: "not_allowed" }],
    );
  });

  it("each message against the gate's message rules, the rule first in the message", async () => {
    const refused = async (message: Record<string, unknown>, field: string, category: string) => {
      const problem = expectProblem(await create(body({ arms: [control, { ...variant, message }] })), 422, [
        { field, category },
      ]);
      return (problem.errors?.[0] as { message: string } | undefined)?.message;
    };
    expect(
      await refused(
        { channel: "sms", class: "informational", text: "  " },
        "arms[1].message.text",
        "missing",
      ),
    ).toBe("text.empty: The message has no text");
    expect(
      await refused(
        { channel: "lms", class: "advertising", text: "봄 세일 {link}" },
        "arms[1].message.text",
        "not_allowed",
      ),
    ).toBe("ad.prefix: An advertisement starts with (광고), exactly so, before anything else");
    expect(
      await refused(
        { channel: "lms", class: "advertising", text: "(광고) 세일" },
        "arms[1].message.text",
        "not_allowed",
      ),
    ).toBe('ad.sender: An advertisement names its sender "봄샵"');
    expect(
      await refused(
        { channel: "lms", class: "advertising", text: "(광고) 봄샵 02-930-2266" },
        "arms[1].message.text",
        "not_allowed",
      ),
    ).toBe("ad.optout: An advertisement carries a free opt-out line: 무료수신거부 080-123-4567");
    expect(
      await refused(
        { channel: "sms", class: "informational", text: "감사 🙂" },
        "arms[1].message.text",
        "malformed",
      ),
    ).toMatch(/^encoding\.euc_kr: /);
    // 62 bytes as written; {link} is counted as http://127.0.0.1:8787/m/ and a 16-character token.
    const text = "(광고)봄샵 {link} 02-930-2266 봄세일 무료수신거부 080-123-4567";
    expect(eucKrByteLength(text).bytes).toBe(62);
    expect(
      await refused({ channel: "sms", class: "advertising", text }, "arms[1].message.text", "too_long"),
    ).toBe("length.sms: 96 bytes in EUC-KR, over the 90 of SMS; send it as LMS");
    expect(
      await refused(
        { channel: "alimtalk", class: "advertising", text: "(광고)" },
        "arms[1].message.class",
        "not_allowed",
      ),
    ).toMatch(/^alimtalk\.advertising: /);
    expect(
      await refused(
        { channel: "alimtalk", class: "informational", text: "안내" },
        "arms[1].message.template",
        "not_allowed",
      ),
    ).toBe("alimtalk.template: An AlimTalk message needs its approved template");
    expect(
      await refused(
        { channel: "alimtalk", class: "informational", template, variables: {} },
        "arms[1].message.variables.name",
        "missing",
      ),
    ).toBe("The template needs #{name}.");
    const review = await insertTemplate(a.brand.internal, {
      channel: "alimtalk",
      status: "in_review",
      class: "informational",
      text: "안내",
      variables: [],
    });
    expect(
      await refused(
        { channel: "alimtalk", class: "informational", template: review },
        "arms[1].message.template",
        "not_allowed",
      ),
    ).toMatch(/^alimtalk\.template: Template T-\w+ is in_review, not approved$/);
    expect(
      await refused(
        { channel: "alimtalk", class: "informational", template: ids.encode("messageTemplate", 999_999_999) },
        "arms[1].message.template",
        "not_found",
      ),
    ).toBe("No such message template of the brand.");
  });

  it("advertising without the brand's messaging settings, and targets of another brand or none", async () => {
    const bare = await createSalesTenant();
    const cohort = await everyoneCohort(bare);
    const problem = expectProblem(
      await create(
        { brand: bare.brand.id, name: "Ad", code: "ad", target: { cohort }, arms: [control] },
        bare.key,
      ),
      422,
      [{ field: "arms[0].message.class", category: "not_allowed" }],
    );
    expect((problem.errors?.[0] as { message: string } | undefined)?.message).toMatch(
      /^brand messaging settings missing: /,
    );
    // An informational message needs no settings.
    const informational = await create(
      {
        brand: bare.brand.id,
        name: "Notice",
        code: "notice",
        target: { cohort },
        arms: [{ ...variant, role: "control" }],
      },
      bare.key,
    );
    expect(informational.status, informational.text).toBe(201);

    expectProblem(await create(body({ target: { cohort: cohortOfB } })), 403);
    expectProblem(await create(body({ target: { cohort: cohortOfB } }), (await adminKey()).key), 422, [
      { field: "target.cohort", category: "not_allowed" },
    ]);
    expectProblem(await create(body({ target: { cohort: "nope" } })), 422, [
      { field: "target.cohort", category: "malformed" },
    ]);
    expectProblem(
      await create(body({ target: { snapshot: ids.encode("cohortSnapshot", 999_999_999) } })),
      422,
      [{ field: "target.snapshot", category: "not_found" }],
    );
    expectProblem(await create(body({ brand: b.brand.id })), 403);
  });

  it("a sales campaign code and an experiment key belong to one message campaign", async () => {
    const first = await created();
    const problem = expectProblem(await create(body({ code: first.code })), 409, [
      { field: "code", category: "conflict" },
    ]);
    expect(problem.detail).toBe(
      `The sales campaign ${first.code} already belongs to another message campaign.`,
    );
    const key = `exp-${rand()}`;
    await created({ experiment: { ...experiment, key } });
    expectProblem(await create(body({ experiment: { ...experiment, key } })), 409, [
      { field: "experiment.key", category: "conflict" },
    ]);
  });
});

describe("change and life cycle", () => {
  it("a draft changes anything; a running one only its name, assignment changes are 409s by field", async () => {
    const campaign = await created();
    const path = `/api/v1/campaigns/${campaign.id}`;
    const changed = await ok("PATCH", path, {
      key: a.key,
      body: { name: "Renamed", goal_window_days: 3, arms: [control, { ...variant, weight: 55 }] },
    });
    expect(changed.name).toBe("Renamed");
    expect(changed.goal_window_days).toBe(3);
    expect(changed.arms.map((arm: { buckets: unknown }) => arm.buckets)).toEqual([
      { from: 0, to: 4500 },
      { from: 4500, to: 10000 },
    ]);
    expect(changed.experiment).toEqual(campaign.experiment);

    const queue = recordingQueue();
    const launched = await call("POST", `${path}/launch`, { key: a.key, env: { SENDS_QUEUE: queue } });
    expect(launched.status, launched.text).toBe(200);
    expect(launched.body.status).toBe("running");
    expect(launched.body.member_count).toBe(3);

    expectProblem(
      await call("PATCH", path, { key: a.key, body: { arms: [control, { ...variant, weight: 45 }] } }),
      409,
      [{ field: "arms[1].weight", category: "conflict" }],
    );
    expectProblem(
      await call("PATCH", path, { key: a.key, body: { experiment: { ...experiment, key: "other" } } }),
      409,
      [{ field: "experiment.key", category: "conflict" }],
    );
    expectProblem(await call("PATCH", path, { key: a.key, body: { arms: [control] } }), 409, [
      { field: "arms", category: "conflict" },
    ]);
    expectProblem(
      await call("PATCH", path, {
        key: a.key,
        body: {
          goal_window_days: 5,
          arms: [control, { ...variant, weight: 55, message: { ...variant.message, text: "다른 문구" } }],
        },
      }),
      409,
      [
        { field: "goal_window_days", category: "conflict" },
        { field: "arms[1].message", category: "conflict" },
      ],
    );
    // The same values are no change; the name may change.
    const renamed = await ok("PATCH", path, {
      key: a.key,
      body: { name: "Final name", goal_window_days: 3, arms: [control, { ...variant, weight: 55 }] },
    });
    expect(renamed).toEqual({ ...launched.body, name: "Final name", updated_at: renamed.updated_at });

    expectProblem(await call("POST", `${path}/launch`, { key: a.key, env: { SENDS_QUEUE: queue } }), 409, [
      { field: "status", category: "conflict" },
    ]);
    expectProblem(await call("POST", `${path}/cancel`, { key: a.key }), 409);
    expectProblem(await call("POST", `${path}/resume`, { key: a.key }), 409);
    expect((await ok("POST", `${path}/pause`, { key: a.key })).status).toBe("paused");
    expect((await ok("POST", `${path}/resume`, { key: a.key })).status).toBe("running");
    const completed = await ok("POST", `${path}/complete`, { key: a.key });
    expect(completed.status).toBe("completed");
    expect(Date.parse(completed.completed_at)).toBeGreaterThan(Date.now() - 60_000);
    expectProblem(await call("POST", `${path}/pause`, { key: a.key }), 409);
  });

  it("schedules a draft, cancels a scheduled one; a schedule in the past is a 422", async () => {
    const campaign = await created();
    const path = `/api/v1/campaigns/${campaign.id}`;
    expectProblem(
      await call("POST", `${path}/launch`, {
        key: a.key,
        body: { scheduled_at: "2020-01-01T00:00:00.000Z" },
      }),
      422,
      [{ field: "scheduled_at", category: "out_of_range" }],
    );
    const at = new Date(Date.now() + 86_400_000).toISOString();
    const scheduled = await ok("POST", `${path}/launch`, { key: a.key, body: { scheduled_at: at } });
    expect(scheduled.status).toBe("scheduled");
    expect(scheduled.scheduled_at).toBe(at);
    // Still editable while scheduled.
    expect((await ok("PATCH", path, { key: a.key, body: { goal_window_days: 30 } })).goal_window_days).toBe(
      30,
    );
    expect((await ok("POST", `${path}/cancel`, { key: a.key })).status).toBe("cancelled");
    expectProblem(await call("PATCH", path, { key: a.key, body: { name: "x" } }), 409);
    expectProblem(await call("POST", `${path}/launch`, { key: a.key }), 409);
    expectProblem(await call("GET", "/api/v1/campaigns/nope", { key: a.key }), 404);
  });
});

describe("the OpenAPI document", () => {
  it("declares every campaign route", async () => {
    const document = await ok("GET", "/openapi.json", { key: null });
    const paths = Object.keys(document.paths).filter((path) => path.startsWith("/api/v1/campaigns"));
    expect(paths.sort()).toEqual(
      [
        "/api/v1/campaigns",
        "/api/v1/campaigns/{id}",
        "/api/v1/campaigns/{id}/cancel",
        "/api/v1/campaigns/{id}/complete",
        "/api/v1/campaigns/{id}/funnel",
        "/api/v1/campaigns/{id}/launch",
        "/api/v1/campaigns/{id}/pause",
        "/api/v1/campaigns/{id}/resume",
      ].sort(),
    );
    expect(Object.keys(document.paths["/api/v1/campaigns/{id}"]).sort()).toEqual(["get", "patch"]);
  });
});
